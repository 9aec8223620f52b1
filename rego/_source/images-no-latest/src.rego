package k8sdisallowlatesttag

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "image": c.image}}] {
  [t, c] := lib.containers[_]
  not contains(c.image, "@")
  tag(c.image) == "latest"
  msg := sprintf("%v %v of %v uses image %v: the :latest tag is not allowed", [t, c.name, lib.subject, c.image])
}

violation[{"msg": msg, "details": {"container": c.name, "image": c.image}}] {
  [t, c] := lib.containers[_]
  not contains(c.image, "@")
  not tag(c.image)
  msg := sprintf("%v %v of %v uses image %v without a tag (it means :latest)", [t, c.name, lib.subject, c.image])
}

# The tag is after the last ":" of the last path segment (a ":" before is a registry port).
tag(image) = t {
  parts := split(image, "/")
  last := parts[count(parts) - 1]
  contains(last, ":")
  pieces := split(last, ":")
  t := pieces[count(pieces) - 1]
}
