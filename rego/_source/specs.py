"""The library's templates: metadata, schema, sample constraint, controls and suite cases.

Each template's Rego is a real file, ``<folder>/src.rego`` beside this module, and the shared
helpers are ``lib/k8s.rego`` (Rego v0) and ``lib/k8s_v1.rego`` (Rego v1); ``generate.py``
reads them. This module builds the sample objects and cases of every template's suite.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, Literal, NotRequired, TypedDict

Json = dict[str, Any]
# A case's expected violations: a count, or "yes" (at least one) / "no" (none).
Expect = int | Literal["yes", "no"]


class Case(TypedDict):
    """One case of a suite: an object (or AdmissionReview), its expectation and messages."""

    name: str
    object: Json
    expect: Expect
    messages: list[tuple[str, int]]
    inventory: NotRequired[list[Json]]


class InvalidConstraint(TypedDict):
    """Parameters the template's schema must refuse."""

    name: str
    parameters: Json


class Spec(TypedDict):
    """One template: what ``generate.py`` needs besides its ``<folder>/src.rego``."""

    folder: str
    kind: str
    title: str
    description: str
    severity: str
    soc2: list[str]
    iso: list[str]
    cis: list[str]
    constraint_name: str
    cases: list[Case]
    match: Json
    schema: Json | None
    parameters: Json | None
    invalid: list[InvalidConstraint]
    action: str
    v1: bool
    uses_lib: bool


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


def pod_match() -> Json:
    return {"kinds": copy.deepcopy(POD_KINDS), "excludedNamespaces": list(SYSTEM_NAMESPACES)}


RESTRICTED_SC = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
}


def container(name: str = "web", image: str = IMAGE, **extra: Any) -> Json:
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


def sc(**changes: Any) -> Json:
    out = copy.deepcopy(RESTRICTED_SC)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def pod_spec(
    containers: list[Json] | None = None,
    init: list[Json] | None = None,
    ephemeral: list[Json] | None = None,
    **extra: Any,
) -> Json:
    spec: Json = {
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


def pod(
    name: str = "web",
    spec: Json | None = None,
    namespace: str = "shop",
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> Json:
    meta: Json = {"name": name, "namespace": namespace, "labels": dict(labels or LABELS)}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec or pod_spec()}


def deployment(
    name: str = "web",
    spec: Json | None = None,
    namespace: str = "shop",
    annotations: dict[str, str] | None = None,
) -> Json:
    tmeta: Json = {"labels": {"app.kubernetes.io/name": name}}
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


def cronjob(name: str = "report", spec: Json | None = None, namespace: str = "shop") -> Json:
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


def review(
    operation: str,
    obj: Json | None = None,
    old: Json | None = None,
    username: str = "jane@claytom.systems",
) -> Json:
    target = obj or old
    assert target is not None, "a review needs an object or an old object"
    api = target["apiVersion"]
    group, _, version = api.rpartition("/")
    request: Json = {
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


def case(
    name: str,
    obj: Json,
    expect: Expect,
    messages: Sequence[tuple[str, int]] = (),
    inventory: list[Json] | None = None,
) -> Case:
    out: Case = {"name": name, "object": obj, "expect": expect, "messages": list(messages)}
    if inventory:
        out["inventory"] = inventory
    return out


def container_cases(
    bad_container: Json,
    good_container: Json | None = None,
    message: str | None = None,
    pod_extra: dict[str, Any] | None = None,
) -> list[Case]:
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


def pod_field_cases(
    bad_spec: Json, good_spec: Json | None = None, message: str | None = None
) -> list[Case]:
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


def _relabel(obj: Json) -> Json:
    out = copy.deepcopy(obj)
    out["metadata"]["labels"]["release"] = "2"
    return out


def object_cases(
    good: Json,
    bad: Json,
    expect: Expect = 1,
    message: str | None = None,
    extra: Sequence[Case] = (),
) -> list[Case]:
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


class Controls(TypedDict):
    """The SOC 2, ISO 27001:2022 and CIS Kubernetes controls a template supports."""

    soc2: list[str]
    iso: list[str]
    cis: list[str]


def ctrl(soc2: list[str], iso: list[str], cis: list[str]) -> Controls:
    return {"soc2": soc2, "iso": iso, "cis": cis}


STRING_LIST = {"type": "array", "items": {"type": "string"}}

SPECS: list[Spec] = []


def add(
    *,
    folder: str,
    kind: str,
    title: str,
    description: str,
    soc2: list[str],
    iso: list[str],
    cis: list[str],
    constraint_name: str,
    cases: list[Case],
    severity: str = "high",
    match: Json | None = None,
    schema: Json | None = None,
    parameters: Json | None = None,
    invalid: Sequence[InvalidConstraint] = (),
    action: str = "deny",
    v1: bool = False,
    uses_lib: bool = True,
) -> None:
    """Add one template (its Rego is ``<folder>/src.rego``); a misspelt field is an error."""
    SPECS.append(
        {
            "folder": folder,
            "kind": kind,
            "title": title,
            "description": description,
            "severity": severity,
            "soc2": soc2,
            "iso": iso,
            "cis": cis,
            "constraint_name": constraint_name,
            "cases": cases,
            "match": match if match is not None else pod_match(),
            "schema": schema,
            "parameters": parameters,
            "invalid": list(invalid),
            "action": action,
            "v1": v1,
            "uses_lib": uses_lib,
        }
    )


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
    cases=pod_field_cases(pod_spec(serviceAccountName="default"), message="not default")
    + [case("disallowed-unset", pod(spec=pod_spec(serviceAccountName=None)), 1, [("not set", 1)])],
)

# ---------------------------------------------------------------------------------------------
# ingress and services


def ingress(
    tls: bool | list[str] = True,
    hosts: Sequence[str] = ("shop.claytom.systems",),
    annotations: dict[str, str] | None = None,
    name: str = "shop",
) -> Json:
    obj: Json = {
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
    cases=object_cases(ingress(annotations=HSTS), ingress(), message="must send Strict-Transport-Security")
    + [
        case("disallowed-short-max-age", ingress(annotations={"seccli.io/hsts": "max-age=300; includeSubDomains"}), 1, [("below the minimum", 1)]),
        case("disallowed-no-subdomains", ingress(annotations={"seccli.io/hsts": "max-age=63072000"}), 1, [("includeSubDomains", 1)]),
    ],
    invalid=[{"name": "negative-max-age", "parameters": {"minMaxAge": -1}}],
)


def service(type_: str = "ClusterIP", name: str = "web") -> Json:
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


def role(rules: list[Json], kind: str = "ClusterRole", name: str = "reader") -> Json:
    meta: Json = {"name": name}
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


def binding(
    role_name: str = "cluster-admin",
    kind: str = "ClusterRoleBinding",
    subjects: list[Json] | None = None,
) -> Json:
    meta: Json = {"name": "ops"}
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
    cases=object_cases(
        service(),
        {**service(), "metadata": {"name": "web", "namespace": "default"}},
        message="default namespace",
    ),
)
