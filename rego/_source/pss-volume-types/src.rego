package k8spssvolumetypes

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"volume": v.name, "type": type}}] {
  lib.changed("volumes")
  v := lib.spec.volumes[_]
  some type
  v[type]
  type != "name"
  not allowed(type)
  msg := sprintf("%v uses volume %v of type %v, allowed: %v", [lib.subject, v.name, type, input.parameters.volumes])
}

allowed(type) {
  input.parameters.volumes[_] == "*"
}

allowed(type) {
  input.parameters.volumes[_] == type
}
