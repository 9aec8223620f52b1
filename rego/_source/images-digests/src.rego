package k8simagedigests

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "image": c.image}}] {
  [t, c] := lib.containers[_]
  not pinned(c.image)
  not exempt(c.image)
  msg := sprintf("%v %v of %v uses image %v, which is not pinned by a sha256 digest", [t, c.name, lib.subject, c.image])
}

pinned(image) {
  regex.match(`@sha256:[a-f0-9]{64}$`, image)
}

exempt(image) {
  pattern := lib.param("exemptImages", [])[_]
  endswith(pattern, "*")
  startswith(image, trim_suffix(pattern, "*"))
}

exempt(image) {
  lib.param("exemptImages", [])[_] == image
}
