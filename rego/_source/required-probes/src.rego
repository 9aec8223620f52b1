package k8srequiredprobes

import data.lib.seccli.k8s as lib

# Probes exist on app containers and on sidecars (initContainers with restartPolicy Always);
# plain initContainers and ephemeral containers cannot have them.
probed[[t, c]] {
  [t, c] := lib.containers[_]
  t == "container"
}

probed[[t, c]] {
  [t, c] := lib.containers[_]
  t == "initContainer"
  c.restartPolicy == "Always"
}

violation[{"msg": msg, "details": {"container": c.name, "probe": probe}}] {
  [t, c] := probed[_]
  probe := lib.param("probes", ["readinessProbe", "livenessProbe"])[_]
  not c[probe]
  msg := sprintf("%v %v of %v must define a %v", [t, c.name, lib.subject, probe])
}
