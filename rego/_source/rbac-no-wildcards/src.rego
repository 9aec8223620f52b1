package k8srbacnowildcards

import data.lib.seccli.k8s as lib

fields := ["verbs", "resources", "apiGroups", "nonResourceURLs"]

violation contains {"msg": msg, "details": {"rule": i, "field": field}} if {
  not lib.deleting
  not exempt(input.review.object.metadata.name)
  some i, rule in input.review.object.rules
  some field in fields
  "*" in object.get(rule, field, [])
  msg := sprintf("%v: rule %v uses '*' in %v", [lib.subject, i, field])
}

exempt(name) if {
  some pattern in lib.param("exemptNames", [])
  pattern == name
}

exempt(name) if {
  some pattern in lib.param("exemptNames", [])
  endswith(pattern, "*")
  startswith(name, trim_suffix(pattern, "*"))
}
