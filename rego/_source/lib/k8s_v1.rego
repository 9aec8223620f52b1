package lib.seccli.k8s

# The helpers Rego v1 templates of seccli's library share.

deleting if input.review.operation == "DELETE"

subject := namespaced if {
  ns := input.review.object.metadata.namespace
  namespaced := sprintf("%v %v/%v", [input.review.kind.kind, ns, object_name])
} else := cluster_scoped if {
  cluster_scoped := sprintf("%v %v", [input.review.kind.kind, object_name])
}

object_name := name if {
  name := input.review.object.metadata.name
} else := "<unnamed>"

param(name, default_value) := v if {
  v := input.parameters[name]
} else := default_value
