package k8singresstls

import data.lib.seccli.k8s as lib

violation[{"msg": msg}] {
  not lib.deleting
  count(object.get(input.review.object.spec, "tls", [])) == 0
  msg := sprintf("%v must terminate TLS (spec.tls is empty)", [lib.subject])
}

violation[{"msg": msg, "details": {"host": host}}] {
  not lib.deleting
  count(object.get(input.review.object.spec, "tls", [])) > 0
  host := input.review.object.spec.rules[_].host
  not covered(host)
  msg := sprintf("%v serves host %v without TLS (no spec.tls entry lists it)", [lib.subject, host])
}

covered(host) {
  input.review.object.spec.tls[_].hosts[_] == host
}

covered(host) {
  pattern := input.review.object.spec.tls[_].hosts[_]
  startswith(pattern, "*.")
  parts := split(host, ".")
  concat(".", array.concat(["*"], array.slice(parts, 1, count(parts)))) == pattern
}
