package k8snoclusteradminbinding

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"subject": s}}] {
  not lib.deleting
  ref := input.review.object.roleRef
  ref.kind == "ClusterRole"
  ref.name == lib.param("roles", ["cluster-admin"])[_]
  s := input.review.object.subjects[_]
  not allowed(s)
  msg := sprintf("%v binds %v %v to %v", [lib.subject, s.kind, s.name, ref.name])
}

allowed(s) {
  a := lib.param("allowedSubjects", [])[_]
  a.kind == s.kind
  a.name == s.name
}
