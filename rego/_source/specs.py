"""The library's templates: Rego, schema, sample constraint, controls and suite cases."""

from __future__ import annotations

import copy

LIB = r'''
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
'''

LIB_V1 = r'''
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
'''

# ---------------------------------------------------------------------------------------------
# sample objects

DIGEST = "sha256:" + "3f" * 32
IMAGE = f"registry.claytom.systems/shop/web:1.4.2@{DIGEST}"
IMAGE_SIDE = f"registry.claytom.systems/shop/proxy:2.0.1@{DIGEST}"

POD_KINDS = [
    {"apiGroups": [""], "kinds": ["Pod"]},
    {"apiGroups": ["apps"], "kinds": ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"]},
    {"apiGroups": ["batch"], "kinds": ["Job", "CronJob"]},
]
SYSTEM_NAMESPACES = ["kube-system", "gatekeeper-system"]


def pod_match() -> dict:
    return {"kinds": copy.deepcopy(POD_KINDS), "excludedNamespaces": list(SYSTEM_NAMESPACES)}


RESTRICTED_SC = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
}


def container(name="web", image=IMAGE, **extra) -> dict:
    c = {
        "name": name,
        "image": image,
        "securityContext": copy.deepcopy(RESTRICTED_SC),
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"memory": "256Mi"},
        },
    }
    for key, value in extra.items():
        if value is None:
            c.pop(key, None)
        else:
            c[key] = value
    return c


def sc(**changes) -> dict:
    out = copy.deepcopy(RESTRICTED_SC)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def pod_spec(containers=None, init=None, ephemeral=None, **extra) -> dict:
    spec: dict = {
        "serviceAccountName": "web",
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": containers if containers is not None else [container()],
    }
    if init is not None:
        spec["initContainers"] = init
    if ephemeral is not None:
        spec["ephemeralContainers"] = ephemeral
    for key, value in extra.items():
        if value is None:
            spec.pop(key, None)
        else:
            spec[key] = value
    return spec


LABELS = {"app.kubernetes.io/name": "web", "owner": "ana", "team": "shop", "data-class": "internal"}


def pod(name="web", spec=None, namespace="shop", annotations=None, labels=None) -> dict:
    meta: dict = {"name": name, "namespace": namespace, "labels": dict(labels or LABELS)}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec or pod_spec()}


def deployment(name="web", spec=None, namespace="shop", annotations=None) -> dict:
    tmeta: dict = {"labels": {"app.kubernetes.io/name": name}}
    if annotations:
        tmeta["annotations"] = annotations
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(LABELS)},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {"metadata": tmeta, "spec": spec or pod_spec()},
        },
    }


def cronjob(name="report", spec=None, namespace="shop") -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(LABELS)},
        "spec": {
            "schedule": "0 3 * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "metadata": {"labels": {"app.kubernetes.io/name": name}},
                        "spec": {**(spec or pod_spec()), "restartPolicy": "OnFailure"},
                    }
                }
            },
        },
    }


def review(operation, obj=None, old=None, username="jane@claytom.systems") -> dict:
    target = obj or old
    api = target["apiVersion"]
    group, _, version = api.rpartition("/")
    request: dict = {
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": group, "version": version, "kind": target["kind"]},
        "resource": {"group": group, "version": version, "resource": target["kind"].lower() + "s"},
        "name": target["metadata"]["name"],
        "operation": operation,
        "userInfo": {"username": username, "groups": ["system:authenticated"]},
    }
    if target["metadata"].get("namespace"):
        request["namespace"] = target["metadata"]["namespace"]
    if obj is not None:
        request["object"] = obj
    if old is not None:
        request["oldObject"] = old
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def case(name, obj, expect, messages=(), inventory=None) -> dict:
    out = {"name": name, "object": obj, "expect": expect, "messages": list(messages)}
    if inventory:
        out["inventory"] = inventory
    return out


def container_cases(bad_container, good_container=None, message=None, pod_extra=None) -> list:
    """The standard cases of a per-container rule."""
    good = good_container or container()
    extra = pod_extra or {}
    msgs = [(message, 1)] if message else []
    bad_init = copy.deepcopy(bad_container)
    bad_init["name"] = "setup"
    bad_eph = {k: v for k, v in copy.deepcopy(bad_container).items() if k != "resources"}
    bad_eph["name"] = "debugger"
    good_pod = pod(spec=pod_spec([good], **extra))
    bad_pod = pod(spec=pod_spec([bad_container], **extra))
    changed_old = pod(spec=pod_spec([good], **extra))
    return [
        case("allowed-pod", good_pod, "no"),
        case("allowed-deployment", deployment(spec=pod_spec([good], **extra)), "no"),
        case("disallowed-pod", bad_pod, 1, msgs),
        case("disallowed-deployment", deployment(spec=pod_spec([bad_container], **extra)), 1),
        case("disallowed-cronjob", cronjob(spec=pod_spec([bad_container], **extra)), 1),
        case(
            "disallowed-init-container",
            pod(spec=pod_spec([good], init=[bad_init], **extra)),
            1,
            [("initContainer setup", 1)],
        ),
        case(
            "disallowed-ephemeral-container",
            pod(spec=pod_spec([good], ephemeral=[bad_eph], **extra)),
            1,
            [("ephemeralContainer debugger", 1)],
        ),
        case(
            "disallowed-update-changes-container",
            review("UPDATE", obj=deployment(spec=pod_spec([bad_container], **extra)),
                   old=deployment(spec=pod_spec([good], **extra))),
            1,
        ),
        case(
            "allowed-update-leaves-container-unchanged",
            review("UPDATE", obj=_relabel(bad_pod), old=bad_pod),
            "no",
        ),
        case("allowed-delete", review("DELETE", old=bad_pod), "no"),
        case("disallowed-create-review", review("CREATE", obj=bad_pod), 1),
    ] + ([] if changed_old is None else [])


def pod_field_cases(bad_spec, good_spec=None, message=None) -> list:
    """The standard cases of a pod-level rule."""
    good = good_spec or pod_spec()
    bad_pod = pod(spec=bad_spec)
    msgs = [(message, 1)] if message else []
    return [
        case("allowed-pod", pod(spec=good), "no"),
        case("allowed-deployment", deployment(spec=good), "no"),
        case("disallowed-pod", bad_pod, "yes", msgs),
        case("disallowed-deployment", deployment(spec=bad_spec), "yes"),
        case("disallowed-cronjob", cronjob(spec=bad_spec), "yes"),
        case(
            "disallowed-update-changes-pod",
            review("UPDATE", obj=deployment(spec=bad_spec), old=deployment(spec=good)),
            "yes",
        ),
        case(
            "allowed-update-leaves-pod-unchanged",
            review("UPDATE", obj=_relabel(bad_pod), old=bad_pod),
            "no",
        ),
        case("allowed-delete", review("DELETE", old=bad_pod), "no"),
    ]


def _relabel(obj: dict) -> dict:
    out = copy.deepcopy(obj)
    out["metadata"]["labels"]["release"] = "2"
    return out


def object_cases(good, bad, expect=1, message=None, extra=()) -> list:
    """Cases of a rule on a non-pod object."""
    msgs = [(message, 1)] if message else []
    return [
        case("allowed", good, "no"),
        case("disallowed", bad, expect, msgs),
        case("disallowed-create-review", review("CREATE", obj=bad), expect),
        case("disallowed-update-review", review("UPDATE", obj=bad, old=good), expect),
        case("allowed-update-review", review("UPDATE", obj=good, old=bad), "no"),
        case("allowed-delete", review("DELETE", old=bad), "no"),
        *extra,
    ]


def ctrl(soc2, iso, cis) -> dict:
    return {"soc2": soc2, "iso": iso, "cis": cis}


STRING_LIST = {"type": "array", "items": {"type": "string"}}

SPECS: list[dict] = []


def add(**spec) -> None:
    spec.setdefault("match", pod_match())
    SPECS.append(spec)


# ---------------------------------------------------------------------------------------------
# Pod Security Standards: baseline

add(
    folder="pss-privileged",
    kind="K8sPSSPrivileged",
    title="No privileged containers",
    description="Containers must not run privileged (Pod Security Standards baseline).",
    severity="critical",
    **ctrl(["CC6.1", "CC6.8"], ["A.8.2", "A.8.9"], ["5.2.2"]),
    constraint_name="no-privileged-containers",
    rego=r'''
package k8spssprivileged

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name}}] {
  [t, c] := lib.containers[_]
  c.securityContext.privileged == true
  msg := sprintf("%v %v of %v must not run privileged (securityContext.privileged: true)", [t, c.name, lib.subject])
}
''',
    cases=container_cases(
        container(securityContext=sc(privileged=True)),
        message="must not run privileged",
    ),
)

add(
    folder="pss-host-namespaces",
    kind="K8sPSSHostNamespaces",
    title="No host namespaces",
    description="Pods must not share the host's PID, IPC or network namespace.",
    severity="critical",
    **ctrl(["CC6.1", "CC6.8"], ["A.8.9", "A.8.22"], ["5.2.3", "5.2.4", "5.2.5"]),
    constraint_name="no-host-namespaces",
    rego=r'''
package k8spsshostnamespaces

import data.lib.seccli.k8s as lib

host_fields := {"hostPID", "hostIPC", "hostNetwork"}

violation[{"msg": msg, "details": {"field": key}}] {
  key := host_fields[_]
  lib.spec[key] == true
  lib.changed(key)
  msg := sprintf("%v must not share the host namespace (%v: true)", [lib.subject, key])
}
''',
    cases=pod_field_cases(pod_spec(hostNetwork=True), message="hostNetwork")
    + [case("disallowed-all-three", pod(spec=pod_spec(hostNetwork=True, hostPID=True, hostIPC=True)), 3)],
)

add(
    folder="pss-host-path",
    kind="K8sPSSHostPath",
    title="No hostPath volumes",
    description="Pods must not mount hostPath volumes, except under allowed read-only prefixes.",
    severity="high",
    **ctrl(["CC6.1", "CC6.8"], ["A.8.3", "A.8.9"], ["5.2.12"]),
    constraint_name="no-host-path",
    schema={
        "type": "object",
        "properties": {
            "allowedHostPaths": {
                "type": "array",
                "description": "Host path prefixes that may be mounted.",
                "items": {
                    "type": "object",
                    "required": ["pathPrefix"],
                    "properties": {
                        "pathPrefix": {"type": "string"},
                        "readOnly": {"type": "boolean"},
                    },
                },
            }
        },
    },
    parameters={"allowedHostPaths": [{"pathPrefix": "/var/log/pods", "readOnly": True}]},
    rego=r'''
package k8spsshostpath

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"volume": v.name, "path": v.hostPath.path}}] {
  lib.changed("volumes")
  v := lib.spec.volumes[_]
  v.hostPath
  not allowed(v)
  msg := sprintf("%v mounts hostPath volume %v (%v), which is not allowed", [lib.subject, v.name, v.hostPath.path])
}

allowed(v) {
  a := input.parameters.allowedHostPaths[_]
  under(v.hostPath.path, a.pathPrefix)
  not a.readOnly == true
}

allowed(v) {
  a := input.parameters.allowedHostPaths[_]
  under(v.hostPath.path, a.pathPrefix)
  a.readOnly == true
  not writable(v.name)
}

writable(name) {
  [_, c] := lib.all_containers[_]
  m := c.volumeMounts[_]
  m.name == name
  not m.readOnly == true
}

under(path, prefix) {
  path == prefix
}

under(path, prefix) {
  startswith(path, concat("", [trim_suffix(prefix, "/"), "/"]))
}
''',
    cases=pod_field_cases(
        pod_spec(volumes=[{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]),
        message="docker",
    )
    + [
        case(
            "allowed-read-only-prefix",
            pod(spec=pod_spec(
                [container(volumeMounts=[{"name": "logs", "mountPath": "/logs", "readOnly": True}])],
                volumes=[{"name": "logs", "hostPath": {"path": "/var/log/pods/shop"}}],
            )),
            "no",
        ),
        case(
            "disallowed-writable-prefix",
            pod(spec=pod_spec(
                [container(volumeMounts=[{"name": "logs", "mountPath": "/logs"}])],
                volumes=[{"name": "logs", "hostPath": {"path": "/var/log/pods/shop"}}],
            )),
            1,
        ),
        case(
            "disallowed-prefix-lookalike",
            pod(spec=pod_spec(volumes=[{"name": "x", "hostPath": {"path": "/var/log/pods-evil"}}])),
            1,
        ),
    ],
    invalid=[{"name": "missing-prefix", "parameters": {"allowedHostPaths": [{"readOnly": True}]}}],
)

add(
    folder="pss-host-ports",
    kind="K8sPSSHostPorts",
    title="No host ports",
    description="Containers must not bind host ports, except those listed.",
    severity="high",
    **ctrl(["CC6.6"], ["A.8.20", "A.8.22"], ["5.2.13"]),
    constraint_name="no-host-ports",
    schema={
        "type": "object",
        "properties": {
            "allowedHostPorts": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 65535},
            }
        },
    },
    parameters={"allowedHostPorts": []},
    rego=r'''
package k8spsshostports

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "hostPort": p.hostPort}}] {
  [t, c] := lib.containers[_]
  p := c.ports[_]
  p.hostPort > 0
  not allowed(p.hostPort)
  msg := sprintf("%v %v of %v binds host port %v, which is not allowed", [t, c.name, lib.subject, p.hostPort])
}

allowed(port) {
  lib.param("allowedHostPorts", [])[_] == port
}
''',
    cases=container_cases(
        container(ports=[{"containerPort": 8080, "hostPort": 80}]),
        good_container=container(ports=[{"containerPort": 8080}]),
        message="host port 80",
    ),
    invalid=[{"name": "port-out-of-range", "parameters": {"allowedHostPorts": [70000]}}],
)

add(
    folder="pss-capabilities",
    kind="K8sPSSCapabilities",
    title="Capabilities: add only allowed ones, drop ALL",
    description="Containers may add only the allowed capabilities and must drop the required "
    "ones (ALL in the restricted profile).",
    severity="high",
    **ctrl(["CC6.1", "CC6.8"], ["A.8.2", "A.8.9"], ["5.2.8", "5.2.9", "5.2.10"]),
    constraint_name="restricted-capabilities",
    schema={
        "type": "object",
        "properties": {
            "allowedCapabilities": STRING_LIST,
            "requiredDropCapabilities": STRING_LIST,
        },
    },
    parameters={"allowedCapabilities": ["NET_BIND_SERVICE"], "requiredDropCapabilities": ["ALL"]},
    rego=r'''
package k8spsscapabilities

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "capability": cap}}] {
  [t, c] := lib.containers[_]
  cap := c.securityContext.capabilities.add[_]
  not allowed_add(cap)
  msg := sprintf("%v %v of %v adds capability %v, which is not allowed", [t, c.name, lib.subject, cap])
}

violation[{"msg": msg, "details": {"container": c.name, "capability": cap}}] {
  [t, c] := lib.containers[_]
  cap := lib.param("requiredDropCapabilities", ["ALL"])[_]
  not drops(c, cap)
  msg := sprintf("%v %v of %v must drop capability %v", [t, c.name, lib.subject, cap])
}

allowed_add(cap) {
  lib.param("allowedCapabilities", [])[_] == "*"
}

allowed_add(cap) {
  upper(lib.param("allowedCapabilities", [])[_]) == upper(trim_prefix(upper(cap), "CAP_"))
}

drops(c, cap) {
  upper(c.securityContext.capabilities.drop[_]) == "ALL"
}

drops(c, cap) {
  upper(c.securityContext.capabilities.drop[_]) == upper(cap)
}
''',
    cases=container_cases(
        container(securityContext=sc(capabilities={"add": ["SYS_ADMIN"], "drop": ["ALL"]})),
        message="adds capability SYS_ADMIN",
    )
    + [
        case(
            "disallowed-no-drop",
            pod(spec=pod_spec([container(securityContext=sc(capabilities=None))])),
            1,
            [("must drop capability ALL", 1)],
        ),
        case(
            "allowed-net-bind-service",
            pod(spec=pod_spec([container(securityContext=sc(capabilities={"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}))])),
            "no",
        ),
        case(
            "disallowed-both",
            pod(spec=pod_spec([container(securityContext=sc(capabilities={"add": ["NET_RAW"]}))])),
            2,
        ),
    ],
)

add(
    folder="pss-allow-privilege-escalation",
    kind="K8sPSSAllowPrivilegeEscalation",
    title="No privilege escalation",
    description="Containers must set securityContext.allowPrivilegeEscalation: false.",
    severity="high",
    **ctrl(["CC6.1", "CC6.8"], ["A.8.2", "A.8.9"], ["5.2.6"]),
    constraint_name="no-privilege-escalation",
    rego=r'''
package k8spssallowprivilegeescalation

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name}}] {
  [t, c] := lib.containers[_]
  not c.securityContext.allowPrivilegeEscalation == false
  msg := sprintf("%v %v of %v must set securityContext.allowPrivilegeEscalation: false", [t, c.name, lib.subject])
}
''',
    cases=container_cases(
        container(securityContext=sc(allowPrivilegeEscalation=None)),
        message="allowPrivilegeEscalation",
    )
    + [case("disallowed-explicit-true", pod(spec=pod_spec([container(securityContext=sc(allowPrivilegeEscalation=True))])), 1)],
)

add(
    folder="pss-run-as-non-root",
    kind="K8sPSSRunAsNonRoot",
    title="Run as non-root",
    description="Containers must run with runAsNonRoot: true (pod or container) and never as "
    "user 0.",
    severity="high",
    **ctrl(["CC6.1", "CC6.8"], ["A.8.2", "A.8.9"], ["5.2.7"]),
    constraint_name="run-as-non-root",
    rego=r'''
package k8spssrunasnonroot

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name}}] {
  [t, c] := lib.containers[_]
  not non_root(c)
  msg := sprintf("%v %v of %v must set runAsNonRoot: true (in its own or the pod's securityContext)", [t, c.name, lib.subject])
}

violation[{"msg": msg, "details": {"container": c.name}}] {
  [t, c] := lib.containers[_]
  run_as_user(c) == 0
  msg := sprintf("%v %v of %v must not run as user 0 (root)", [t, c.name, lib.subject])
}

non_root(c) {
  c.securityContext.runAsNonRoot == true
}

non_root(c) {
  not has_own(c)
  lib.spec.securityContext.runAsNonRoot == true
}

has_own(c) {
  _ := c.securityContext.runAsNonRoot
}

run_as_user(c) = own {
  own := c.securityContext.runAsUser
} else = from_pod {
  from_pod := lib.spec.securityContext.runAsUser
}
''',
    cases=container_cases(
        container(securityContext=sc(runAsNonRoot=False)),
        message="runAsNonRoot",
    )
    + [
        case(
            "allowed-pod-level-only",
            pod(spec=pod_spec([container(securityContext=sc(runAsNonRoot=None))])),
            "no",
        ),
        case(
            "disallowed-no-setting",
            pod(spec=pod_spec([container(securityContext=sc(runAsNonRoot=None))], securityContext={})),
            1,
        ),
        case(
            "disallowed-root-user",
            pod(spec=pod_spec([container(securityContext=sc(runAsUser=0))])),
            1,
            [("user 0", 1)],
        ),
        case(
            "disallowed-pod-root-user",
            pod(spec=pod_spec([container()], securityContext={"runAsNonRoot": True, "runAsUser": 0})),
            1,
        ),
    ],
)

add(
    folder="pss-seccomp",
    kind="K8sPSSSeccomp",
    title="Seccomp profile required",
    description="Containers must run with a RuntimeDefault or Localhost seccomp profile, set on "
    "the container or the pod.",
    severity="medium",
    **ctrl(["CC6.8"], ["A.8.9", "A.8.7"], ["5.7.2"]),
    constraint_name="seccomp-runtime-default",
    schema={"type": "object", "properties": {"allowedProfiles": STRING_LIST}},
    parameters={"allowedProfiles": ["RuntimeDefault", "Localhost"]},
    rego=r'''
package k8spssseccomp

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name}}] {
  [t, c] := lib.containers[_]
  not profile(c)
  msg := sprintf("%v %v of %v has no seccomp profile (set securityContext.seccompProfile.type)", [t, c.name, lib.subject])
}

violation[{"msg": msg, "details": {"container": c.name, "profile": p}}] {
  [t, c] := lib.containers[_]
  p := profile(c)
  not allowed(p)
  msg := sprintf("%v %v of %v uses seccomp profile %v, allowed: %v", [t, c.name, lib.subject, p, lib.param("allowedProfiles", ["RuntimeDefault", "Localhost"])])
}

profile(c) = own {
  own := c.securityContext.seccompProfile.type
} else = from_pod {
  from_pod := lib.spec.securityContext.seccompProfile.type
}

allowed(p) {
  lib.param("allowedProfiles", ["RuntimeDefault", "Localhost"])[_] == p
}
''',
    cases=container_cases(
        container(securityContext=sc(seccompProfile={"type": "Unconfined"})),
        message="Unconfined",
    )
    + [
        case(
            "disallowed-no-profile",
            pod(spec=pod_spec([container()], securityContext={"runAsNonRoot": True})),
            1,
            [("has no seccomp profile", 1)],
        ),
        case(
            "allowed-container-level",
            pod(spec=pod_spec([container(securityContext=sc(seccompProfile={"type": "Localhost", "localhostProfile": "web.json"}))], securityContext={"runAsNonRoot": True})),
            "no",
        ),
    ],
)

add(
    folder="pss-apparmor",
    kind="K8sPSSAppArmor",
    title="AppArmor not disabled",
    description="Containers must not run Unconfined under AppArmor: the profile (field or "
    "annotation) must be RuntimeDefault or Localhost; optionally a profile is required.",
    severity="medium",
    **ctrl(["CC6.8"], ["A.8.9", "A.8.7"], ["5.7.3"]),
    constraint_name="apparmor-not-unconfined",
    schema={
        "type": "object",
        "properties": {"allowedProfiles": STRING_LIST, "requireProfile": {"type": "boolean"}},
    },
    parameters={"allowedProfiles": ["RuntimeDefault", "Localhost"], "requireProfile": False},
    rego=r'''
package k8spssapparmor

import data.lib.seccli.k8s as lib

annotation_prefix := "container.apparmor.security.beta.kubernetes.io/"

violation[{"msg": msg, "details": {"container": c.name, "profile": p}}] {
  [t, c] := lib.containers[_]
  p := profile(c)
  not allowed(p)
  msg := sprintf("%v %v of %v uses AppArmor profile %v, allowed: %v", [t, c.name, lib.subject, p, allowed_profiles])
}

violation[{"msg": msg, "details": {"container": c.name}}] {
  lib.param("requireProfile", false) == true
  [t, c] := lib.containers[_]
  not profile(c)
  msg := sprintf("%v %v of %v has no AppArmor profile", [t, c.name, lib.subject])
}

allowed_profiles := lib.param("allowedProfiles", ["RuntimeDefault", "Localhost"])

# The annotation form ("runtime/default", "localhost/<name>", "unconfined") in field terms.
profile(c) = own {
  own := c.securityContext.appArmorProfile.type
} else = annotated {
  value := lib.pod_meta.annotations[concat("", [annotation_prefix, c.name])]
  annotated := annotation_type(value)
} else = from_pod {
  from_pod := lib.spec.securityContext.appArmorProfile.type
}

annotation_type(value) = "RuntimeDefault" {
  value == "runtime/default"
} else = "Localhost" {
  startswith(value, "localhost/")
} else = "Unconfined" {
  value == "unconfined"
} else = value {
  true
}

allowed(p) {
  allowed_profiles[_] == p
}
''',
    cases=container_cases(
        container(securityContext=sc(appArmorProfile={"type": "Unconfined"})),
        message="AppArmor profile Unconfined",
    )
    + [
        case(
            "disallowed-annotation-unconfined",
            pod(annotations={"container.apparmor.security.beta.kubernetes.io/web": "unconfined"}),
            1,
        ),
        case(
            "allowed-annotation-runtime-default",
            pod(annotations={"container.apparmor.security.beta.kubernetes.io/web": "runtime/default"}),
            "no",
        ),
        case(
            "disallowed-deployment-template-annotation",
            deployment(annotations={"container.apparmor.security.beta.kubernetes.io/web": "unconfined"}),
            1,
        ),
    ],
)

add(
    folder="pss-selinux",
    kind="K8sPSSSELinux",
    title="SELinux options restricted",
    description="SELinux type must be one of the container types; user and role must not be "
    "set (baseline).",
    severity="medium",
    **ctrl(["CC6.8"], ["A.8.9"], ["5.7.3"]),
    constraint_name="selinux-restricted",
    schema={"type": "object", "properties": {"allowedTypes": STRING_LIST}},
    parameters={"allowedTypes": ["container_t", "container_init_t", "container_kvm_t"]},
    rego=r'''
package k8spssselinux

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"where": where, "type": o.type}}] {
  [where, o] := options[_]
  o.type
  not allowed_type(o.type)
  msg := sprintf("%v: %v sets SELinux type %v, allowed: %v", [lib.subject, where, o.type, lib.param("allowedTypes", [])])
}

violation[{"msg": msg, "details": {"where": where, "field": f}}] {
  [where, o] := options[_]
  f := {"user", "role"}[_]
  o[f]
  msg := sprintf("%v: %v must not set SELinux %v", [lib.subject, where, f])
}

options[["the pod", o]] {
  lib.changed("securityContext")
  o := lib.spec.securityContext.seLinuxOptions
}

options[[where, o]] {
  [t, c] := lib.containers[_]
  o := c.securityContext.seLinuxOptions
  where := sprintf("%v %v", [t, c.name])
}

allowed_type(x) {
  lib.param("allowedTypes", [])[_] == x
}
''',
    cases=container_cases(
        container(securityContext=sc(seLinuxOptions={"type": "spc_t"})),
        good_container=container(securityContext=sc(seLinuxOptions={"type": "container_t", "level": "s0:c123,c456"})),
        message="spc_t",
    )
    + [
        case(
            "disallowed-pod-user",
            pod(spec=pod_spec(securityContext={"runAsNonRoot": True, "seLinuxOptions": {"user": "system_u", "role": "system_r"}})),
            2,
        )
    ],
)

add(
    folder="pss-proc-mount",
    kind="K8sPSSProcMount",
    title="Default /proc mount",
    description="Containers must use the Default /proc mount (baseline).",
    severity="medium",
    **ctrl(["CC6.8"], ["A.8.9"], ["5.7.3"]),
    constraint_name="proc-mount-default",
    schema={"type": "object", "properties": {"procMount": {"type": "string", "enum": ["Default", "Unmasked"]}}},
    parameters={"procMount": "Default"},
    rego=r'''
package k8spssprocmount

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "procMount": m}}] {
  [t, c] := lib.containers[_]
  m := c.securityContext.procMount
  not allowed(m)
  msg := sprintf("%v %v of %v sets procMount %v, allowed: %v", [t, c.name, lib.subject, m, lib.param("procMount", "Default")])
}

allowed(m) {
  m == lib.param("procMount", "Default")
}

allowed(m) {
  m == "Default"
}
''',
    cases=container_cases(
        container(securityContext=sc(procMount="Unmasked")),
        good_container=container(securityContext=sc(procMount="Default")),
        message="procMount Unmasked",
    ),
    invalid=[{"name": "unknown-mount", "parameters": {"procMount": "Masked"}}],
)

SAFE_SYSCTLS = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
]

add(
    folder="pss-sysctls",
    kind="K8sPSSSysctls",
    title="Only safe sysctls",
    description="Pods may set only the safe sysctls (baseline list by default; a trailing * "
    "allows a prefix).",
    severity="medium",
    **ctrl(["CC6.8"], ["A.8.9"], ["5.7.3"]),
    constraint_name="safe-sysctls",
    schema={"type": "object", "properties": {"allowedSysctls": STRING_LIST}},
    parameters={"allowedSysctls": SAFE_SYSCTLS},
    rego=r'''
package k8spsssysctls

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"sysctl": s.name}}] {
  lib.changed("securityContext")
  s := lib.spec.securityContext.sysctls[_]
  not allowed(s.name)
  msg := sprintf("%v sets sysctl %v, which is not in the allowed list", [lib.subject, s.name])
}

allowed(name) {
  input.parameters.allowedSysctls[_] == name
}

allowed(name) {
  pattern := input.parameters.allowedSysctls[_]
  endswith(pattern, "*")
  startswith(name, trim_suffix(pattern, "*"))
}
''',
    cases=pod_field_cases(
        pod_spec(securityContext={"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}, "sysctls": [{"name": "kernel.msgmax", "value": "65536"}]}),
        good_spec=pod_spec(securityContext={"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}, "sysctls": [{"name": "net.ipv4.tcp_syncookies", "value": "1"}]}),
        message="kernel.msgmax",
    ),
)

RESTRICTED_VOLUMES = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
]

add(
    folder="pss-volume-types",
    kind="K8sPSSVolumeTypes",
    title="Allowed volume types",
    description="Pods may use only the listed volume types (restricted profile by default).",
    severity="medium",
    **ctrl(["CC6.1", "CC6.8"], ["A.8.3", "A.8.9"], ["5.7.3"]),
    constraint_name="restricted-volume-types",
    schema={"type": "object", "properties": {"volumes": STRING_LIST}},
    parameters={"volumes": RESTRICTED_VOLUMES},
    rego=r'''
package k8spssvolumetypes

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"volume": v.name, "type": type}}] {
  lib.changed("volumes")
  v := lib.spec.volumes[_]
  some type
  v[type]
  type != "name"
  not allowed(type)
  msg := sprintf("%v uses volume %v of type %v, allowed: %v", [lib.subject, v.name, type, input.parameters.volumes])
}

allowed(type) {
  input.parameters.volumes[_] == "*"
}

allowed(type) {
  input.parameters.volumes[_] == type
}
''',
    cases=pod_field_cases(
        pod_spec(volumes=[{"name": "data", "nfs": {"server": "nfs.local", "path": "/exports"}}]),
        good_spec=pod_spec(volumes=[{"name": "tmp", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "web"}}]),
        message="type nfs",
    ),
)

add(
    folder="read-only-root-filesystem",
    kind="K8sReadOnlyRootFilesystem",
    title="Read-only root filesystem",
    description="Containers must mount their root filesystem read-only.",
    severity="medium",
    **ctrl(["CC6.8", "CC7.1"], ["A.8.9", "A.8.7"], ["5.7.3"]),
    constraint_name="read-only-root-filesystem",
    rego=r'''
package k8sreadonlyrootfilesystem

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name}}] {
  [t, c] := lib.containers[_]
  not c.securityContext.readOnlyRootFilesystem == true
  msg := sprintf("%v %v of %v must set securityContext.readOnlyRootFilesystem: true", [t, c.name, lib.subject])
}
''',
    cases=container_cases(
        container(securityContext=sc(readOnlyRootFilesystem=False)),
        message="readOnlyRootFilesystem",
    ),
)

# ---------------------------------------------------------------------------------------------
# images

add(
    folder="images-allowed-repos",
    kind="K8sAllowedRepos",
    title="Images from allowed registries",
    description="Every container image must come from one of the allowed registry or "
    "repository prefixes.",
    severity="high",
    **ctrl(["CC6.8", "CC8.1"], ["A.8.19", "A.8.7"], ["5.5.1"]),
    constraint_name="claytom-registries",
    schema={
        "type": "object",
        "required": ["repos"],
        "properties": {"repos": {"type": "array", "items": {"type": "string", "minLength": 1}}},
    },
    parameters={"repos": ["registry.claytom.systems/"]},
    rego=r'''
package k8sallowedrepos

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "image": c.image}}] {
  [t, c] := lib.containers[_]
  not allowed(c.image)
  msg := sprintf("%v %v of %v uses image %v from a registry that is not allowed (allowed: %v)", [t, c.name, lib.subject, c.image, input.parameters.repos])
}

allowed(image) {
  startswith(image, input.parameters.repos[_])
}
''',
    cases=container_cases(
        container(image="docker.io/library/nginx:1.27"),
        message="nginx",
    )
    + [
        case(
            "disallowed-lookalike-registry",
            pod(spec=pod_spec([container(image="registry.claytom.systems.evil.io/x:1")])),
            1,
        )
    ],
    invalid=[{"name": "repos-not-a-list", "parameters": {"repos": "registry.claytom.systems/"}}],
)

add(
    folder="images-digests",
    kind="K8sImageDigests",
    title="Images pinned by digest",
    description="Every container image must be pinned by a sha256 digest.",
    severity="high",
    **ctrl(["CC8.1", "CC6.8"], ["A.8.19", "A.8.32"], ["5.5.1"]),
    constraint_name="images-pinned-by-digest",
    schema={"type": "object", "properties": {"exemptImages": STRING_LIST}},
    rego=r'''
package k8simagedigests

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "image": c.image}}] {
  [t, c] := lib.containers[_]
  not pinned(c.image)
  not exempt(c.image)
  msg := sprintf("%v %v of %v uses image %v, which is not pinned by a sha256 digest", [t, c.name, lib.subject, c.image])
}

pinned(image) {
  regex.match(`@sha256:[a-f0-9]{64}$`, image)
}

exempt(image) {
  pattern := lib.param("exemptImages", [])[_]
  endswith(pattern, "*")
  startswith(image, trim_suffix(pattern, "*"))
}

exempt(image) {
  lib.param("exemptImages", [])[_] == image
}
''',
    cases=container_cases(
        container(image="registry.claytom.systems/shop/web:1.4.2"),
        message="not pinned",
    )
    + [
        case(
            "disallowed-short-digest",
            pod(spec=pod_spec([container(image="registry.claytom.systems/shop/web@sha256:abc")])),
            1,
        )
    ],
)

add(
    folder="images-no-latest",
    kind="K8sDisallowLatestTag",
    title="No :latest or untagged images",
    description="Images must name a version: no :latest tag and no missing tag (unless pinned "
    "by digest).",
    severity="medium",
    **ctrl(["CC8.1"], ["A.8.32", "A.8.19"], ["5.5.1"]),
    constraint_name="no-latest-tag",
    rego=r'''
package k8sdisallowlatesttag

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "image": c.image}}] {
  [t, c] := lib.containers[_]
  not contains(c.image, "@")
  tag(c.image) == "latest"
  msg := sprintf("%v %v of %v uses image %v: the :latest tag is not allowed", [t, c.name, lib.subject, c.image])
}

violation[{"msg": msg, "details": {"container": c.name, "image": c.image}}] {
  [t, c] := lib.containers[_]
  not contains(c.image, "@")
  not tag(c.image)
  msg := sprintf("%v %v of %v uses image %v without a tag (it means :latest)", [t, c.name, lib.subject, c.image])
}

# The tag is after the last ":" of the last path segment (a ":" before is a registry port).
tag(image) = t {
  parts := split(image, "/")
  last := parts[count(parts) - 1]
  contains(last, ":")
  pieces := split(last, ":")
  t := pieces[count(pieces) - 1]
}
''',
    cases=container_cases(
        container(image="registry.claytom.systems/shop/web:latest"),
        good_container=container(image="registry.claytom.systems:5000/shop/web:1.4.2"),
        message=":latest tag",
    )
    + [
        case(
            "disallowed-untagged-with-port",
            pod(spec=pod_spec([container(image="registry.claytom.systems:5000/shop/web")])),
            1,
            [("without a tag", 1)],
        ),
        case(
            "allowed-latest-pinned",
            pod(spec=pod_spec([container(image=f"registry.claytom.systems/shop/web:latest@{DIGEST}")])),
            "no",
        ),
    ],
)

# ---------------------------------------------------------------------------------------------
# ownership, resources, probes

add(
    folder="required-labels",
    kind="K8sRequiredLabels",
    title="Required labels",
    description="Objects must carry the listed labels (owner, team, data classification), "
    "optionally matching a regular expression.",
    severity="medium",
    **ctrl(["CC6.1", "CC2.1"], ["A.5.9", "A.5.12", "A.5.13"], ["5.7.1"]),
    constraint_name="owner-team-data-class",
    schema={
        "type": "object",
        "properties": {
            "labels": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key"],
                    "properties": {
                        "key": {"type": "string"},
                        "allowedRegex": {"type": "string"},
                    },
                },
            },
            "message": {"type": "string"},
        },
    },
    parameters={
        "labels": [
            {"key": "owner"},
            {"key": "team"},
            {"key": "data-class", "allowedRegex": "^(public|internal|confidential|restricted)$"},
        ]
    },
    match={
        "kinds": [
            {"apiGroups": [""], "kinds": ["Namespace", "Service"]},
            {"apiGroups": ["apps"], "kinds": ["Deployment", "StatefulSet", "DaemonSet"]},
            {"apiGroups": ["batch"], "kinds": ["CronJob"]},
        ],
        "excludedNamespaces": list(SYSTEM_NAMESPACES),
    },
    rego=r'''
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
''',
    cases=object_cases(
        deployment(),
        {**deployment(), "metadata": {"name": "web", "namespace": "shop", "labels": {"team": "shop", "data-class": "internal"}}},
        message="label owner",
    )
    + [
        case(
            "disallowed-bad-data-class",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"owner": "ana", "team": "shop", "data-class": "secret-ish"}}},
            1,
            [("does not match", 1)],
        ),
        case(
            "disallowed-no-labels",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bare"}},
            3,
        ),
    ],
    invalid=[{"name": "label-without-key", "parameters": {"labels": [{"allowedRegex": "x"}]}}],
)

add(
    folder="container-resources",
    kind="K8sContainerResources",
    title="Resource requests and limits",
    description="Containers must declare the listed resource requests and limits (ephemeral "
    "containers cannot and are skipped).",
    severity="medium",
    **ctrl(["A1.1", "CC7.2"], ["A.8.6", "A.8.14"], ["5.7.3"]),
    constraint_name="requests-and-memory-limits",
    schema={
        "type": "object",
        "properties": {
            "required": {
                "type": "array",
                "items": {
                    "type": "string",
                    "enum": ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"],
                },
            }
        },
    },
    parameters={"required": ["requests.cpu", "requests.memory", "limits.memory"]},
    rego=r'''
package k8scontainerresources

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "missing": item}}] {
  [t, c] := lib.containers[_]
  t != "ephemeralContainer"
  item := lib.param("required", ["requests.cpu", "requests.memory", "limits.memory"])[_]
  parts := split(item, ".")
  not has_value(c, parts[0], parts[1])
  msg := sprintf("%v %v of %v must set resources.%v", [t, c.name, lib.subject, item])
}

has_value(c, section, resource) {
  v := c.resources[section][resource]
  v != ""
}
''',
    cases=[
        c
        for c in container_cases(
            container(resources={"requests": {"cpu": "100m", "memory": "128Mi"}}),
            message="resources.limits.memory",
        )
        if c["name"] != "disallowed-ephemeral-container"
    ]
    + [
        case("allowed-ephemeral-without-resources", pod(spec=pod_spec(ephemeral=[{"name": "debugger", "image": IMAGE}])), "no"),
        case("disallowed-nothing-set", pod(spec=pod_spec([container(resources=None)])), 3),
    ],
    invalid=[{"name": "unknown-resource", "parameters": {"required": ["limits.gpu"]}}],
)

add(
    folder="required-probes",
    kind="K8sRequiredProbes",
    title="Readiness and liveness probes",
    description="Long-running containers (and sidecar initContainers) must declare the listed "
    "probes.",
    severity="low",
    action="warn",
    **ctrl(["A1.2", "CC7.2"], ["A.8.14", "A.8.16"], ["5.7.3"]),
    constraint_name="readiness-and-liveness",
    schema={
        "type": "object",
        "properties": {
            "probes": {
                "type": "array",
                "items": {
                    "type": "string",
                    "enum": ["readinessProbe", "livenessProbe", "startupProbe"],
                },
            }
        },
    },
    parameters={"probes": ["readinessProbe", "livenessProbe"]},
    match={
        "kinds": [
            {"apiGroups": [""], "kinds": ["Pod"]},
            {"apiGroups": ["apps"], "kinds": ["Deployment", "StatefulSet", "DaemonSet"]},
        ],
        "excludedNamespaces": list(SYSTEM_NAMESPACES),
    },
    rego=r'''
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
''',
    cases=[
        case("allowed-pod", pod(spec=pod_spec([container(readinessProbe={"httpGet": {"path": "/ready", "port": 8080}}, livenessProbe={"tcpSocket": {"port": 8080}})])), "no"),
        case("disallowed-pod", pod(), 2, [("readinessProbe", 1)]),
        case("disallowed-deployment-liveness", deployment(spec=pod_spec([container(readinessProbe={"httpGet": {"path": "/ready", "port": 8080}})])), 1, [("livenessProbe", 1)]),
        case(
            "disallowed-sidecar-init-container",
            pod(spec=pod_spec([container(readinessProbe={"exec": {"command": ["true"]}}, livenessProbe={"exec": {"command": ["true"]}})], init=[container(name="proxy", image=IMAGE_SIDE, restartPolicy="Always")])),
            2,
            [("initContainer proxy", 2)],
        ),
        case(
            "allowed-plain-init-and-ephemeral",
            pod(spec=pod_spec([container(readinessProbe={"exec": {"command": ["true"]}}, livenessProbe={"exec": {"command": ["true"]}})], init=[container(name="migrate")], ephemeral=[{"name": "debugger", "image": IMAGE}])),
            "no",
        ),
        case("allowed-update-unchanged", review("UPDATE", obj=_relabel(pod()), old=pod()), "no"),
        case(
            "disallowed-update-drops-probe",
            review(
                "UPDATE",
                obj=deployment(spec=pod_spec([container(readinessProbe={"httpGet": {"path": "/ready", "port": 8080}})])),
                old=deployment(spec=pod_spec([container(readinessProbe={"httpGet": {"path": "/ready", "port": 8080}}, livenessProbe={"tcpSocket": {"port": 8080}})])),
            ),
            1,
            [("livenessProbe", 1)],
        ),
        case("allowed-delete", review("DELETE", old=pod()), "no"),
    ],
)

# ---------------------------------------------------------------------------------------------
# service accounts

add(
    folder="automount-service-account-token",
    kind="K8sAutomountServiceAccountToken",
    title="No automounted service account tokens",
    description="Pods must set automountServiceAccountToken: false (mount a projected token "
    "where needed); the default ServiceAccount must not automount its token.",
    severity="medium",
    **ctrl(["CC6.1", "CC6.3"], ["A.5.15", "A.8.2", "A.5.17"], ["5.1.5", "5.1.6"]),
    constraint_name="no-automounted-tokens",
    match={
        "kinds": [*copy.deepcopy(POD_KINDS), {"apiGroups": [""], "kinds": ["ServiceAccount"]}],
        "excludedNamespaces": list(SYSTEM_NAMESPACES),
    },
    rego=r'''
package k8sautomountserviceaccounttoken

import data.lib.seccli.k8s as lib

violation[{"msg": msg}] {
  lib.changed("automountServiceAccountToken")
  spec := lib.spec
  not spec.automountServiceAccountToken == false
  msg := sprintf("%v must set automountServiceAccountToken: false", [lib.subject])
}

violation[{"msg": msg}] {
  not lib.deleting
  input.review.kind.kind == "ServiceAccount"
  input.review.object.metadata.name == "default"
  not input.review.object.automountServiceAccountToken == false
  msg := sprintf("%v: the default ServiceAccount must set automountServiceAccountToken: false", [lib.subject])
}
''',
    cases=pod_field_cases(pod_spec(automountServiceAccountToken=None), message="automountServiceAccountToken")
    + [
        case("disallowed-explicit-true", pod(spec=pod_spec(automountServiceAccountToken=True)), 1),
        case("disallowed-default-service-account", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "shop"}}, 1),
        case("allowed-default-service-account", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "shop"}, "automountServiceAccountToken": False}, "no"),
        case("allowed-other-service-account", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web", "namespace": "shop"}}, "no"),
    ],
)

add(
    folder="no-default-service-account",
    kind="K8sDisallowDefaultServiceAccount",
    title="No default service account",
    description="Pods must run under their own ServiceAccount, not the namespace's default one.",
    severity="medium",
    **ctrl(["CC6.1", "CC6.3"], ["A.5.15", "A.5.18"], ["5.1.5"]),
    constraint_name="own-service-account",
    rego=r'''
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
''',
    cases=pod_field_cases(pod_spec(serviceAccountName="default"), message="not default")
    + [case("disallowed-unset", pod(spec=pod_spec(serviceAccountName=None)), 1, [("not set", 1)])],
)

# ---------------------------------------------------------------------------------------------
# ingress and services


def ingress(tls=True, hosts=("shop.claytom.systems",), annotations=None, name="shop") -> dict:
    obj: dict = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": "shop", "labels": dict(LABELS)},
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": h,
                    "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]},
                }
                for h in hosts
            ],
        },
    }
    if tls:
        obj["spec"]["tls"] = [{"hosts": list(tls if isinstance(tls, (list, tuple)) else hosts), "secretName": f"{name}-tls"}]
    if annotations:
        obj["metadata"]["annotations"] = annotations
    return obj


HSTS = {"nginx.ingress.kubernetes.io/configuration-snippet": 'more_set_headers "Strict-Transport-Security: max-age=31536000; includeSubDomains";'}

add(
    folder="ingress-tls",
    kind="K8sIngressTLS",
    title="Ingress uses TLS",
    description="Every Ingress must terminate TLS for every host it serves.",
    severity="high",
    **ctrl(["CC6.7", "CC6.6"], ["A.8.24", "A.8.21", "A.5.14"], ["5.7.3"]),
    constraint_name="ingress-tls",
    match={"kinds": [{"apiGroups": ["networking.k8s.io", "extensions"], "kinds": ["Ingress"]}]},
    rego=r'''
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
''',
    cases=object_cases(ingress(), ingress(tls=False), message="must terminate TLS")
    + [
        case("disallowed-host-not-covered", ingress(hosts=("shop.claytom.systems", "admin.claytom.systems"), tls=["shop.claytom.systems"]), 1, [("admin.claytom.systems", 1)]),
        case("allowed-wildcard", ingress(hosts=("shop.claytom.systems", "api.claytom.systems"), tls=["*.claytom.systems"]), "no"),
    ],
)

add(
    folder="ingress-hsts",
    kind="K8sIngressHSTS",
    title="Ingress sends HSTS",
    description="Every Ingress must send Strict-Transport-Security with at least the minimum "
    "max-age, configured in one of the listed annotations.",
    severity="medium",
    **ctrl(["CC6.7"], ["A.8.24", "A.8.21"], ["5.7.3"]),
    constraint_name="ingress-hsts",
    match={"kinds": [{"apiGroups": ["networking.k8s.io", "extensions"], "kinds": ["Ingress"]}]},
    schema={
        "type": "object",
        "properties": {
            "annotations": STRING_LIST,
            "minMaxAge": {"type": "integer", "minimum": 0},
            "includeSubDomains": {"type": "boolean"},
        },
    },
    parameters={
        "annotations": [
            "nginx.ingress.kubernetes.io/configuration-snippet",
            "nginx.ingress.kubernetes.io/server-snippet",
            "seccli.io/hsts",
        ],
        "minMaxAge": 31536000,
        "includeSubDomains": True,
    },
    rego=r'''
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
''',
    cases=object_cases(ingress(annotations=HSTS), ingress(), message="must send Strict-Transport-Security")
    + [
        case("disallowed-short-max-age", ingress(annotations={"seccli.io/hsts": "max-age=300; includeSubDomains"}), 1, [("below the minimum", 1)]),
        case("disallowed-no-subdomains", ingress(annotations={"seccli.io/hsts": "max-age=63072000"}), 1, [("includeSubDomains", 1)]),
    ],
    invalid=[{"name": "negative-max-age", "parameters": {"minMaxAge": -1}}],
)


def service(type_="ClusterIP", name="web") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "shop", "labels": dict(LABELS)},
        "spec": {"type": type_, "selector": {"app.kubernetes.io/name": name}, "ports": [{"port": 80, "targetPort": 8080}]},
    }


add(
    folder="service-no-load-balancer",
    kind="K8sBlockLoadBalancer",
    title="No LoadBalancer Services",
    description="Services must not be of type LoadBalancer: traffic enters through the "
    "ingress gateway only.",
    severity="high",
    **ctrl(["CC6.6"], ["A.8.20", "A.8.22"], ["5.7.3"]),
    constraint_name="no-load-balancers",
    match={"kinds": [{"apiGroups": [""], "kinds": ["Service"]}], "excludedNamespaces": ["ingress-*", *SYSTEM_NAMESPACES]},
    v1=True,
    rego=r'''
package k8sblockloadbalancer

import data.lib.seccli.k8s as lib

violation contains {"msg": msg} if {
  not lib.deleting
  input.review.object.spec.type == "LoadBalancer"
  msg := sprintf("%v must not be of type LoadBalancer (expose it through the ingress gateway)", [lib.subject])
}
''',
    cases=object_cases(service(), service("LoadBalancer"), message="LoadBalancer"),
)

add(
    folder="service-no-node-port",
    kind="K8sBlockNodePort",
    title="No NodePort Services",
    description="Services must not be of type NodePort (nor LoadBalancer with node ports "
    "explicitly set): no port is opened on every node.",
    severity="high",
    **ctrl(["CC6.6"], ["A.8.20", "A.8.22"], ["5.7.3"]),
    constraint_name="no-node-ports",
    match={"kinds": [{"apiGroups": [""], "kinds": ["Service"]}], "excludedNamespaces": list(SYSTEM_NAMESPACES)},
    v1=True,
    rego=r'''
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
''',
    cases=object_cases(service(), service("NodePort"), message="NodePort"),
)

add(
    folder="namespace-network-policy",
    kind="K8sRequireNetworkPolicy",
    title="Every namespace has a NetworkPolicy",
    description="A namespace (and every workload in it) must be covered by at least one "
    "NetworkPolicy; referential: uses data.inventory.",
    severity="high",
    action="warn",
    **ctrl(["CC6.6", "CC6.1"], ["A.8.20", "A.8.22"], ["5.3.2"]),
    constraint_name="namespaces-have-network-policies",
    match={
        "kinds": [{"apiGroups": [""], "kinds": ["Namespace", "Pod"]}, {"apiGroups": ["apps"], "kinds": ["Deployment", "StatefulSet", "DaemonSet"]}],
        "excludedNamespaces": ["kube-*", "gatekeeper-system", "default"],
    },
    rego=r'''
package k8srequirenetworkpolicy

import data.lib.seccli.k8s as lib

violation[{"msg": msg}] {
  not lib.deleting
  input.review.kind.kind == "Namespace"
  ns := input.review.object.metadata.name
  not has_policy(ns)
  msg := sprintf("Namespace %v has no NetworkPolicy", [ns])
}

violation[{"msg": msg}] {
  not lib.deleting
  input.review.kind.kind != "Namespace"
  ns := input.review.object.metadata.namespace
  not has_policy(ns)
  msg := sprintf("%v runs in namespace %v, which has no NetworkPolicy", [lib.subject, ns])
}

has_policy(ns) {
  data.inventory.namespace[ns]["networking.k8s.io/v1"].NetworkPolicy[_]
}
''',
    cases=[
        case(
            "allowed-namespace-with-policy",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": dict(LABELS)}},
            "no",
            inventory=[{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny", "namespace": "shop"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}],
        ),
        case("disallowed-namespace-without-policy", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}, 1, [("Namespace shop has no NetworkPolicy", 1)]),
        case(
            "disallowed-policy-in-other-namespace",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
            1,
            inventory=[{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny", "namespace": "billing"}, "spec": {"podSelector": {}}}],
        ),
        case("disallowed-deployment-in-unprotected-namespace", deployment(), 1, [("which has no NetworkPolicy", 1)]),
        case(
            "allowed-deployment-in-protected-namespace",
            deployment(),
            "no",
            inventory=[{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"podSelector": {}}}],
        ),
        case(
            "disallowed-update-review",
            review("UPDATE", obj={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"team": "shop"}}},
                   old={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
            1,
        ),
        case(
            "allowed-update-review-with-policy",
            review("UPDATE", obj={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"team": "shop"}}},
                   old={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
            "no",
            inventory=[{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny", "namespace": "shop"}, "spec": {"podSelector": {}}}],
        ),
        case("allowed-delete", review("DELETE", old={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}), "no"),
    ],
)

# ---------------------------------------------------------------------------------------------
# RBAC and secrets


def role(rules, kind="ClusterRole", name="reader") -> dict:
    meta: dict = {"name": name}
    if kind == "Role":
        meta["namespace"] = "shop"
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta, "rules": rules}


add(
    folder="rbac-no-wildcards",
    kind="K8sRBACNoWildcards",
    title="No wildcards in RBAC rules",
    description="Roles and ClusterRoles must name their verbs, resources and API groups; no "
    "'*'.",
    severity="high",
    **ctrl(["CC6.1", "CC6.3"], ["A.5.15", "A.5.18", "A.8.2"], ["5.1.3"]),
    constraint_name="rbac-no-wildcards",
    match={"kinds": [{"apiGroups": ["rbac.authorization.k8s.io"], "kinds": ["Role", "ClusterRole"]}]},
    schema={"type": "object", "properties": {"exemptNames": STRING_LIST}},
    parameters={"exemptNames": ["cluster-admin", "admin", "system:*"]},
    v1=True,
    rego=r'''
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
''',
    cases=object_cases(
        role([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]),
        role([{"apiGroups": ["*"], "resources": ["pods"], "verbs": ["*"]}]),
        expect=2,
        message="in verbs",
    )
    + [
        case("allowed-exempt-system-role", role([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}], name="system:controller:foo"), "no"),
        case("disallowed-namespaced-role", role([{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}], kind="Role"), 1),
    ],
)


def binding(role_name="cluster-admin", kind="ClusterRoleBinding", subjects=None) -> dict:
    meta: dict = {"name": "ops"}
    if kind == "RoleBinding":
        meta["namespace"] = "shop"
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role_name},
        "subjects": subjects if subjects is not None else [{"kind": "Group", "name": "developers", "apiGroup": "rbac.authorization.k8s.io"}],
    }


add(
    folder="rbac-no-cluster-admin",
    kind="K8sNoClusterAdminBinding",
    title="No cluster-admin bindings",
    description="Only the allowed subjects may be bound to cluster-admin (by ClusterRoleBinding "
    "or RoleBinding).",
    severity="critical",
    **ctrl(["CC6.1", "CC6.3"], ["A.8.2", "A.5.15", "A.5.18"], ["5.1.1"]),
    constraint_name="no-cluster-admin-bindings",
    match={"kinds": [{"apiGroups": ["rbac.authorization.k8s.io"], "kinds": ["ClusterRoleBinding", "RoleBinding"]}]},
    schema={
        "type": "object",
        "properties": {
            "roles": STRING_LIST,
            "allowedSubjects": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["kind", "name"],
                    "properties": {"kind": {"type": "string", "enum": ["User", "Group", "ServiceAccount"]}, "name": {"type": "string"}},
                },
            },
        },
    },
    parameters={"roles": ["cluster-admin"], "allowedSubjects": [{"kind": "Group", "name": "system:masters"}]},
    rego=r'''
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
''',
    cases=object_cases(
        binding(subjects=[{"kind": "Group", "name": "system:masters", "apiGroup": "rbac.authorization.k8s.io"}]),
        binding(),
        message="Group developers",
    )
    + [
        case("disallowed-rolebinding", binding(kind="RoleBinding", subjects=[{"kind": "ServiceAccount", "name": "ci", "namespace": "shop"}]), 1),
        case("allowed-other-role", binding(role_name="view"), "no"),
    ],
    invalid=[{"name": "subject-kind", "parameters": {"allowedSubjects": [{"kind": "Robot", "name": "x"}]}}],
)

add(
    folder="secrets-not-in-env",
    kind="K8sNoSecretsInEnv",
    title="Secrets not in environment variables",
    description="Containers must read secrets from mounted files, not environment variables "
    "(secretKeyRef, envFrom secretRef, or literal values of secret-like names).",
    severity="high",
    **ctrl(["CC6.1", "CC6.7"], ["A.5.17", "A.8.12", "A.8.24"], ["5.4.1"]),
    constraint_name="secrets-as-files",
    schema={"type": "object", "properties": {"secretNamePattern": {"type": "string"}}},
    parameters={"secretNamePattern": "(?i)(password|passwd|secret|token|api[_-]?key|private[_-]?key)"},
    rego=r'''
package k8snosecretsinenv

import data.lib.seccli.k8s as lib

violation[{"msg": msg, "details": {"container": c.name, "env": e.name}}] {
  [t, c] := lib.containers[_]
  e := c.env[_]
  ref := e.valueFrom.secretKeyRef
  msg := sprintf("%v %v of %v reads secret %v into environment variable %v; mount it as a file", [t, c.name, lib.subject, ref.name, e.name])
}

violation[{"msg": msg, "details": {"container": c.name}}] {
  [t, c] := lib.containers[_]
  src := c.envFrom[_]
  ref := src.secretRef
  msg := sprintf("%v %v of %v loads secret %v with envFrom; mount it as a file", [t, c.name, lib.subject, ref.name])
}

violation[{"msg": msg, "details": {"container": c.name, "env": e.name}}] {
  [t, c] := lib.containers[_]
  e := c.env[_]
  is_string(e.value)
  e.value != ""
  regex.match(lib.param("secretNamePattern", "(?i)(password|secret|token)"), e.name)
  msg := sprintf("%v %v of %v sets %v to a literal value; secrets belong in a Secret mounted as a file", [t, c.name, lib.subject, e.name])
}
''',
    cases=container_cases(
        container(env=[{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]),
        good_container=container(env=[{"name": "LOG_LEVEL", "value": "info"}], volumeMounts=[{"name": "db", "mountPath": "/var/run/secrets/db", "readOnly": True}]),
        message="reads secret db",
    )
    + [
        case("disallowed-env-from", pod(spec=pod_spec([container(envFrom=[{"secretRef": {"name": "db"}}])])), 1, [("envFrom", 1)]),
        case("disallowed-literal", pod(spec=pod_spec([container(env=[{"name": "API_KEY", "value": "sk_live_123"}])])), 1, [("literal value", 1)]),
        case("allowed-empty-literal", pod(spec=pod_spec([container(env=[{"name": "TOKEN_FILE", "value": ""}])])), "no"),
    ],
)

add(
    folder="no-default-namespace",
    kind="K8sDisallowDefaultNamespace",
    title="Nothing in the default namespace",
    description="Workloads, Services and configuration must live in a dedicated namespace, not "
    "'default'.",
    severity="low",
    **ctrl(["CC6.1", "CC8.1"], ["A.8.22", "A.5.9"], ["5.7.4"]),
    constraint_name="no-default-namespace",
    match={
        "kinds": [
            {"apiGroups": [""], "kinds": ["Pod", "Service", "ConfigMap", "Secret", "ServiceAccount"]},
            {"apiGroups": ["apps"], "kinds": ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"]},
            {"apiGroups": ["batch"], "kinds": ["Job", "CronJob"]},
        ],
        "namespaces": ["default"],
    },
    uses_lib=True,
    rego=r'''
package k8sdisallowdefaultnamespace

import data.lib.seccli.k8s as lib

violation[{"msg": msg}] {
  not lib.deleting
  input.review.object.metadata.namespace == "default"
  msg := sprintf("%v must not live in the default namespace", [lib.subject])
}
''',
    cases=object_cases(
        service(),
        {**service(), "metadata": {"name": "web", "namespace": "default"}},
        message="default namespace",
    ),
)
