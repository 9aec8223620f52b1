package k8singresshsts

import data.lib.seccli.k8s as lib

violation[{"msg": msg}] {
  not lib.deleting
  not hsts_value
  msg := sprintf("%v must send Strict-Transport-Security (set it in one of: %v)", [lib.subject, lib.param("annotations", [])])
}

violation[{"msg": msg, "details": {"maxAge": age}}] {
  not lib.deleting
  hsts_value
  age := max_age
  age < lib.param("minMaxAge", 31536000)
  msg := sprintf("%v sends HSTS max-age=%v, below the minimum %v", [lib.subject, age, lib.param("minMaxAge", 31536000)])
}

violation[{"msg": msg}] {
  not lib.deleting
  lib.param("includeSubDomains", false) == true
  value := hsts_value
  not contains(lower(value), "includesubdomains")
  msg := sprintf("%v sends HSTS without includeSubDomains", [lib.subject])
}

# The values of the listed annotations that carry a max-age directive, in the listed order.
hsts_values = [v |
  key := lib.param("annotations", [])[_]
  v := input.review.object.metadata.annotations[key]
  regex.match(`(?i)max-age=\d+`, v)
]

hsts_value = hsts_values[0]

max_age = n {
  found := regex.find_all_string_submatch_n(`(?i)max-age=(\d+)`, hsts_value, 1)
  n := to_number(found[0][1])
}
