package k8spsshostports

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "hostPort": p.hostPort}}] {
  [t, c] := lib.containers[_]
  p := c.ports[_]
  p.hostPort > 0
  not allowed(p.hostPort)
  msg := sprintf("%v %v of %v binds host port %v, which is not allowed", [t, c.name, lib.subject, p.hostPort])
}

allowed(port) {
  lib.param("allowedHostPorts", [])[_] == port
}
