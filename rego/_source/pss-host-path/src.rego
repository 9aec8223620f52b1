package k8spsshostpath

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"volume": v.name, "path": v.hostPath.path}}] {
  lib.changed("volumes")
  v := lib.spec.volumes[_]
  v.hostPath
  not allowed(v)
  msg := sprintf("%v mounts hostPath volume %v (%v), which is not allowed", [lib.subject, v.name, v.hostPath.path])
}

allowed(v) {
  a := input.parameters.allowedHostPaths[_]
  under(v.hostPath.path, a.pathPrefix)
  not a.readOnly == true
}

allowed(v) {
  a := input.parameters.allowedHostPaths[_]
  under(v.hostPath.path, a.pathPrefix)
  a.readOnly == true
  not writable(v.name)
}

writable(name) {
  [_, c] := lib.all_containers[_]
  m := c.volumeMounts[_]
  m.name == name
  not m.readOnly == true
}

under(path, prefix) {
  path == prefix
}

under(path, prefix) {
  startswith(path, concat("", [trim_suffix(prefix, "/"), "/"]))
}
