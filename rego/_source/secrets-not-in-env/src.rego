package k8snosecretsinenv

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "env": e.name}}] {
  [t, c] := lib.containers[_]
  e := c.env[_]
  ref := e.valueFrom.secretKeyRef
  msg := sprintf("%v %v of %v reads secret %v into environment variable %v; mount it as a file", [t, c.name, lib.subject, ref.name, e.name])
}

violation[{"msg": msg, "details": {"container": c.name}}] {
  [t, c] := lib.containers[_]
  src := c.envFrom[_]
  ref := src.secretRef
  msg := sprintf("%v %v of %v loads secret %v with envFrom; mount it as a file", [t, c.name, lib.subject, ref.name])
}

violation[{"msg": msg, "details": {"container": c.name, "env": e.name}}] {
  [t, c] := lib.containers[_]
  e := c.env[_]
  is_string(e.value)
  e.value != ""
  regex.match(lib.param("secretNamePattern", "(?i)(password|secret|token)"), e.name)
  msg := sprintf("%v %v of %v sets %v to a literal value; secrets belong in a Secret mounted as a file", [t, c.name, lib.subject, e.name])
}
