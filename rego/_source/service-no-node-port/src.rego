package k8sblocknodeport

import data.lib.seccli.k8s as lib

violation contains {"msg": msg} if {
  not lib.deleting
  input.review.object.spec.type == "NodePort"
  msg := sprintf("%v must not be of type NodePort", [lib.subject])
}

violation contains {"msg": msg, "details": {"nodePort": port.nodePort}} if {
  not lib.deleting
  input.review.object.spec.type == "LoadBalancer"
  some port in input.review.object.spec.ports
  port.nodePort > 0
  msg := sprintf("%v sets nodePort %v explicitly", [lib.subject, port.nodePort])
}
