package k8spssprocmount

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "procMount": m}}] {
  [t, c] := lib.containers[_]
  m := c.securityContext.procMount
  not allowed(m)
  msg := sprintf("%v %v of %v sets procMount %v, allowed: %v", [t, c.name, lib.subject, m, lib.param("procMount", "Default")])
}

allowed(m) {
  m == lib.param("procMount", "Default")
}

allowed(m) {
  m == "Default"
}
