package k8spsshostnamespaces

import data.lib.seccli.k8s as lib

host_fields := {"hostPID", "hostIPC", "hostNetwork"}

violation[{"msg": msg, "details": {"field": key}}] {
  key := host_fields[_]
  lib.spec[key] == true
  lib.changed(key)
  msg := sprintf("%v must not share the host namespace (%v: true)", [lib.subject, key])
}
