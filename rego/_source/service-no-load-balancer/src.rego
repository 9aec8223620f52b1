package k8sblockloadbalancer

import data.lib.seccli.k8s as lib

violation contains {"msg": msg} if {
  not lib.deleting
  input.review.object.spec.type == "LoadBalancer"
  msg := sprintf("%v must not be of type LoadBalancer (expose it through the ingress gateway)", [lib.subject])
}
