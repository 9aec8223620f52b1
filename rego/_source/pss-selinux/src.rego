package k8spssselinux

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"where": where, "type": o.type}}] {
  [where, o] := options[_]
  o.type
  not allowed_type(o.type)
  msg := sprintf("%v: %v sets SELinux type %v, allowed: %v", [lib.subject, where, o.type, lib.param("allowedTypes", [])])
}

violation[{"msg": msg, "details": {"where": where, "field": f}}] {
  [where, o] := options[_]
  f := {"user", "role"}[_]
  o[f]
  msg := sprintf("%v: %v must not set SELinux %v", [lib.subject, where, f])
}

options[["the pod", o]] {
  lib.changed("securityContext")
  o := lib.spec.securityContext.seLinuxOptions
}

options[[where, o]] {
  [t, c] := lib.containers[_]
  o := c.securityContext.seLinuxOptions
  where := sprintf("%v %v", [t, c.name])
}

allowed_type(x) {
  lib.param("allowedTypes", [])[_] == x
}
