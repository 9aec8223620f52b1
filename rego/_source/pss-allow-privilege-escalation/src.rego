package k8spssallowprivilegeescalation

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name}}] {
  [t, c] := lib.containers[_]
  not c.securityContext.allowPrivilegeEscalation == false
  msg := sprintf("%v %v of %v must set securityContext.allowPrivilegeEscalation: false", [t, c.name, lib.subject])
}
