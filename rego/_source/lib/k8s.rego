package lib.seccli.k8s

# Shared helpers of seccli's policy library (Rego v0, as Gatekeeper evaluates by default).

# Kinds whose pod template is at spec.template.
template_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

# Container lists of a pod spec and how messages name them.
container_fields := {
  "containers": "container",
  "initContainers": "initContainer",
  "ephemeralContainers": "ephemeralContainer",
}

pod_spec(obj) = spec {
  obj.kind == "Pod"
  spec := obj.spec
}

pod_spec(obj) = spec {
  template_kinds[obj.kind]
  spec := obj.spec.template.spec
}

pod_spec(obj) = spec {
  obj.kind == "CronJob"
  spec := obj.spec.jobTemplate.spec.template.spec
}

pod_spec(obj) = spec {
  obj.kind == "PodTemplate"
  spec := obj.template.spec
}

pod_metadata(obj) = meta {
  obj.kind == "Pod"
  meta := obj.metadata
}

pod_metadata(obj) = meta {
  template_kinds[obj.kind]
  meta := obj.spec.template.metadata
}

pod_metadata(obj) = meta {
  obj.kind == "CronJob"
  meta := obj.spec.jobTemplate.spec.template.metadata
}

pod_metadata(obj) = meta {
  obj.kind == "PodTemplate"
  meta := obj.template.metadata
}

deleting {
  input.review.operation == "DELETE"
}

updating {
  input.review.operation == "UPDATE"
}

# What the review is about, for messages: "Deployment shop/web".
subject = namespaced {
  ns := input.review.object.metadata.namespace
  namespaced := sprintf("%v %v/%v", [input.review.kind.kind, ns, object_name])
} else = cluster_scoped {
  cluster_scoped := sprintf("%v %v", [input.review.kind.kind, object_name])
}

object_name = name {
  name := input.review.object.metadata.name
} else = generated {
  generated := input.review.object.metadata.generateName
} else = "<unnamed>" {
  true
}

# The pod spec under review; nothing is judged on DELETE.
spec = s {
  not deleting
  s := pod_spec(input.review.object)
}

pod_meta = m {
  not deleting
  m := pod_metadata(input.review.object)
}

old_spec = s {
  updating
  s := pod_spec(input.review.oldObject)
}

# On UPDATE a container identical to one of oldObject was admitted before: it is not judged
# again, so changing a label never fails on a container nobody touched.
unchanged(c) {
  some f
  container_fields[f]
  old_spec[f][_] == c
}

# Every container to judge, as [type, container]: containers, initContainers and
# ephemeralContainers.
containers[[t, c]] {
  some f
  t := container_fields[f]
  c := spec[f][_]
  not unchanged(c)
}

# Every container of the pod, judged or not.
all_containers[[t, c]] {
  some f
  t := container_fields[f]
  c := spec[f][_]
}

# A pod-level field is judged unless an UPDATE leaves it as it was.
changed(key) {
  not updating
}

changed(key) {
  updating
  not same(key)
}

same(key) {
  old_spec[key] == spec[key]
}

same(key) {
  old := old_spec
  not has_key(old, key)
  not has_key(spec, key)
}

has_key(obj, key) {
  _ = obj[key]
}

# A parameter with a default.
param(name, default_value) = v {
  v := input.parameters[name]
} else = default_value {
  true
}
