package k8sallowedrepos

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "image": c.image}}] {
  [t, c] := lib.containers[_]
  not allowed(c.image)
  msg := sprintf("%v %v of %v uses image %v from a registry that is not allowed (allowed: %v)", [t, c.name, lib.subject, c.image, input.parameters.repos])
}

allowed(image) {
  startswith(image, input.parameters.repos[_])
}
