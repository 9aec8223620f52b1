package k8sautomountserviceaccounttoken

import data.lib.seccli.k8s as lib

violation[{"msg": msg}] {
  lib.changed("automountServiceAccountToken")
  spec := lib.spec
  not spec.automountServiceAccountToken == false
  msg := sprintf("%v must set automountServiceAccountToken: false", [lib.subject])
}

violation[{"msg": msg}] {
  not lib.deleting
  input.review.kind.kind == "ServiceAccount"
  input.review.object.metadata.name == "default"
  not input.review.object.automountServiceAccountToken == false
  msg := sprintf("%v: the default ServiceAccount must set automountServiceAccountToken: false", [lib.subject])
}
