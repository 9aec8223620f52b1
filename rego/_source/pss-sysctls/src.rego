package k8spsssysctls

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"sysctl": s.name}}] {
  lib.changed("securityContext")
  s := lib.spec.securityContext.sysctls[_]
  not allowed(s.name)
  msg := sprintf("%v sets sysctl %v, which is not in the allowed list", [lib.subject, s.name])
}

allowed(name) {
  input.parameters.allowedSysctls[_] == name
}

allowed(name) {
  pattern := input.parameters.allowedSysctls[_]
  endswith(pattern, "*")
  startswith(name, trim_suffix(pattern, "*"))
}
