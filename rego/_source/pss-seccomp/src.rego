package k8spssseccomp

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name}}] {
  [t, c] := lib.containers[_]
  not profile(c)
  msg := sprintf("%v %v of %v has no seccomp profile (set securityContext.seccompProfile.type)", [t, c.name, lib.subject])
}

violation[{"msg": msg, "details": {"container": c.name, "profile": p}}] {
  [t, c] := lib.containers[_]
  p := profile(c)
  not allowed(p)
  msg := sprintf("%v %v of %v uses seccomp profile %v, allowed: %v", [t, c.name, lib.subject, p, lib.param("allowedProfiles", ["RuntimeDefault", "Localhost"])])
}

profile(c) = own {
  own := c.securityContext.seccompProfile.type
} else = from_pod {
  from_pod := lib.spec.securityContext.seccompProfile.type
}

allowed(p) {
  lib.param("allowedProfiles", ["RuntimeDefault", "Localhost"])[_] == p
}
