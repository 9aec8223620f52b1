package k8srequiredlabels

import data.lib.seccli.k8s as lib

provided[key] {
  input.review.object.metadata.labels[key]
}

violation[{"msg": msg, "details": {"missing": key}}] {
  not lib.deleting
  key := input.parameters.labels[_].key
  not provided[key]
  msg := sprintf("%v must carry label %v%v", [lib.subject, key, suffix])
}

violation[{"msg": msg, "details": {"label": key, "value": value}}] {
  not lib.deleting
  entry := input.parameters.labels[_]
  key := entry.key
  value := input.review.object.metadata.labels[key]
  entry.allowedRegex
  not regex.match(entry.allowedRegex, value)
  msg := sprintf("%v has label %v=%v, which does not match %v", [lib.subject, key, value, entry.allowedRegex])
}

suffix = s {
  s := concat("", [": ", input.parameters.message])
} else = "" {
  true
}
