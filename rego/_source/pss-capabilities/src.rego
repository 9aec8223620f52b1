package k8spsscapabilities

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "capability": cap}}] {
  [t, c] := lib.containers[_]
  cap := c.securityContext.capabilities.add[_]
  not allowed_add(cap)
  msg := sprintf("%v %v of %v adds capability %v, which is not allowed", [t, c.name, lib.subject, cap])
}

violation[{"msg": msg, "details": {"container": c.name, "capability": cap}}] {
  [t, c] := lib.containers[_]
  cap := lib.param("requiredDropCapabilities", ["ALL"])[_]
  not drops(c, cap)
  msg := sprintf("%v %v of %v must drop capability %v", [t, c.name, lib.subject, cap])
}

allowed_add(cap) {
  lib.param("allowedCapabilities", [])[_] == "*"
}

allowed_add(cap) {
  upper(lib.param("allowedCapabilities", [])[_]) == upper(trim_prefix(upper(cap), "CAP_"))
}

drops(c, cap) {
  upper(c.securityContext.capabilities.drop[_]) == "ALL"
}

drops(c, cap) {
  upper(c.securityContext.capabilities.drop[_]) == upper(cap)
}
