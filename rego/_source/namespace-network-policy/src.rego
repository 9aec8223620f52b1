package k8srequirenetworkpolicy

import data.lib.seccli.k8s as lib

violation[{"msg": msg}] {
  not lib.deleting
  input.review.kind.kind == "Namespace"
  ns := input.review.object.metadata.name
  not has_policy(ns)
  msg := sprintf("Namespace %v has no NetworkPolicy", [ns])
}

violation[{"msg": msg}] {
  not lib.deleting
  input.review.kind.kind != "Namespace"
  ns := input.review.object.metadata.namespace
  not has_policy(ns)
  msg := sprintf("%v runs in namespace %v, which has no NetworkPolicy", [lib.subject, ns])
}

has_policy(ns) {
  data.inventory.namespace[ns]["networking.k8s.io/v1"].NetworkPolicy[_]
}
