package k8spssprivileged

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name}}] {
  [t, c] := lib.containers[_]
  c.securityContext.privileged == true
  msg := sprintf("%v %v of %v must not run privileged (securityContext.privileged: true)", [t, c.name, lib.subject])
}
