package k8sreadonlyrootfilesystem

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name}}] {
  [t, c] := lib.containers[_]
  not c.securityContext.readOnlyRootFilesystem == true
  msg := sprintf("%v %v of %v must set securityContext.readOnlyRootFilesystem: true", [t, c.name, lib.subject])
}
