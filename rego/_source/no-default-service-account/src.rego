package k8sdisallowdefaultserviceaccount

import data.lib.seccli.k8s as lib

violation[{"msg": msg}] {
  lib.changed("serviceAccountName")
  account(lib.spec) == "default"
  msg := sprintf("%v must run under its own ServiceAccount, not %v", [lib.subject, describe(lib.spec)])
}

account(spec) = name {
  name := spec.serviceAccountName
} else = legacy {
  legacy := spec.serviceAccount
} else = "default" {
  true
}

describe(spec) = "the default one (serviceAccountName not set)" {
  not spec.serviceAccountName
  not spec.serviceAccount
} else = "default" {
  true
}
