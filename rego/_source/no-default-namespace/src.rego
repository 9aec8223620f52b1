package k8sdisallowdefaultnamespace

import data.lib.seccli.k8s as lib

violation[{"msg": msg}] {
  not lib.deleting
  input.review.object.metadata.namespace == "default"
  msg := sprintf("%v must not live in the default namespace", [lib.subject])
}
