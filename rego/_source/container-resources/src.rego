package k8scontainerresources

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "missing": item}}] {
  [t, c] := lib.containers[_]
  t != "ephemeralContainer"
  item := lib.param("required", ["requests.cpu", "requests.memory", "limits.memory"])[_]
  parts := split(item, ".")
  not has_value(c, parts[0], parts[1])
  msg := sprintf("%v %v of %v must set resources.%v", [t, c.name, lib.subject, item])
}

has_value(c, section, resource) {
  v := c.resources[section][resource]
  v != ""
}
