package k8spssrunasnonroot

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name}}] {
  [t, c] := lib.containers[_]
  not non_root(c)
  msg := sprintf("%v %v of %v must set runAsNonRoot: true (in its own or the pod's securityContext)", [t, c.name, lib.subject])
}

violation[{"msg": msg, "details": {"container": c.name}}] {
  [t, c] := lib.containers[_]
  run_as_user(c) == 0
  msg := sprintf("%v %v of %v must not run as user 0 (root)", [t, c.name, lib.subject])
}

non_root(c) {
  c.securityContext.runAsNonRoot == true
}

non_root(c) {
  not has_own(c)
  lib.spec.securityContext.runAsNonRoot == true
}

has_own(c) {
  _ := c.securityContext.runAsNonRoot
}

run_as_user(c) = own {
  own := c.securityContext.runAsUser
} else = from_pod {
  from_pod := lib.spec.securityContext.runAsUser
}
