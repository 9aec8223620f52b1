package k8spssapparmor

import data.lib.seccli.k8s as lib

annotation_prefix := "container.apparmor.security.beta.kubernetes.io/"

violation[{"msg": msg, "details": {"container": c.name, "profile": p}}] {
  [t, c] := lib.containers[_]
  p := profile(c)
  not allowed(p)
  msg := sprintf("%v %v of %v uses AppArmor profile %v, allowed: %v", [t, c.name, lib.subject, p, allowed_profiles])
}

violation[{"msg": msg, "details": {"container": c.name}}] {
  lib.param("requireProfile", false) == true
  [t, c] := lib.containers[_]
  not profile(c)
  msg := sprintf("%v %v of %v has no AppArmor profile", [t, c.name, lib.subject])
}

allowed_profiles := lib.param("allowedProfiles", ["RuntimeDefault", "Localhost"])

# The annotation form ("runtime/default", "localhost/<name>", "unconfined") in field terms.
profile(c) = own {
  own := c.securityContext.appArmorProfile.type
} else = annotated {
  value := lib.pod_meta.annotations[concat("", [annotation_prefix, c.name])]
  annotated := annotation_type(value)
} else = from_pod {
  from_pod := lib.spec.securityContext.appArmorProfile.type
}

annotation_type(value) = "RuntimeDefault" {
  value == "runtime/default"
} else = "Localhost" {
  startswith(value, "localhost/")
} else = "Unconfined" {
  value == "unconfined"
} else = value {
  true
}

allowed(p) {
  allowed_profiles[_] == p
}
