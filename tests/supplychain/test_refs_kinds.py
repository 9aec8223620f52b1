"""Every image a tree deploys is seen: CRD kinds (Argo, Tekton, Knative, KEDA, OpenShift),
embedded specs, image volumes, unknown kinds, dot-folders and links, and empty inputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seccli.core.errors import InputError
from seccli.supplychain.refs import find_images, images_in_yaml, is_pod_spec_kind, scan_inputs


def texts(yaml_text: str, source: str = "m.yaml") -> list[str]:
    return sorted(item.text for item in images_in_yaml(yaml_text, source))


ARGO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: build-}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - {name: a, template: compile}
        - - name: inline
            inline:
              container: {image: "argo/inline:1"}
    - name: compile
      container: {image: "argo/container:1", command: [make]}
      initContainers: [{name: init, image: "argo/init:1"}]
      sidecars: [{name: db, image: "argo/sidecar:1"}]
    - name: script
      script: {image: "argo/script:1", source: "echo hi"}
    - name: set
      containerSet:
        containers: [{name: one, image: "argo/set:1"}]
---
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
spec:
  templates: [{name: t, container: {image: "argo/wft:1"}}]
---
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
spec:
  templates: [{name: t, script: {image: "argo/cwft:1", source: x}}]
---
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
spec:
  schedule: "* * * * *"
  workflowSpec:
    templateDefaults: {container: {image: "argo/defaults:1"}}
    templates: [{name: t, container: {image: "argo/cron:1"}}]
"""


def test_argo_workflow_kinds_every_template_shape() -> None:
    found = images_in_yaml(ARGO, "wf.yaml")
    assert sorted(item.text for item in found) == sorted(
        [
            "argo/inline:1",
            "argo/container:1",
            "argo/init:1",
            "argo/sidecar:1",
            "argo/script:1",
            "argo/set:1",
            "argo/wft:1",
            "argo/cwft:1",
            "argo/defaults:1",
            "argo/cron:1",
        ]
    )
    container = next(item for item in found if item.text == "argo/container:1")
    assert container.location.path == "spec.templates[1].container.image"
    assert container.location.line == 14
    assert next(i for i in found if i.text == "argo/script:1").source_kind == "script"


TEKTON = """\
apiVersion: tekton.dev/v1
kind: Task
spec:
  stepTemplate: {image: "tekton/template:1"}
  steps:
    - {name: build, image: "tekton/step:1", script: "make"}
    - {name: ref, ref: {name: some-step-action}}
  sidecars: [{name: docker, image: "tekton/sidecar:1"}]
---
apiVersion: tekton.dev/v1beta1
kind: ClusterTask
spec:
  steps: [{name: s, image: "tekton/clustertask:1"}]
---
apiVersion: tekton.dev/v1
kind: Pipeline
spec:
  tasks:
    - name: embedded
      taskSpec:
        steps: [{name: s, image: "tekton/pipeline-task:1"}]
  finally:
    - name: cleanup
      taskSpec: {steps: [{name: s, image: "tekton/finally:1"}]}
---
apiVersion: tekton.dev/v1
kind: PipelineRun
spec:
  pipelineSpec:
    tasks:
      - name: t
        taskSpec:
          sidecars: [{name: s, image: "tekton/run-sidecar:1"}]
          steps: [{name: s, image: "tekton/run-step:1"}]
---
apiVersion: tekton.dev/v1
kind: TaskRun
spec:
  taskSpec:
    steps: [{name: s, image: "tekton/taskrun:1"}]
"""


def test_tekton_steps_sidecars_step_templates_and_embedded_specs() -> None:
    assert texts(TEKTON) == sorted(
        [
            "tekton/template:1",
            "tekton/step:1",
            "tekton/sidecar:1",
            "tekton/clustertask:1",
            "tekton/pipeline-task:1",
            "tekton/finally:1",
            "tekton/run-sidecar:1",
            "tekton/run-step:1",
            "tekton/taskrun:1",
        ]
    )


OTHER_KINDS = """\
apiVersion: serving.knative.dev/v1
kind: Service
spec: {template: {spec: {containers: [{image: "knative/service:1"}]}}}
---
apiVersion: serving.knative.dev/v1
kind: Configuration
spec: {template: {spec: {containers: [{image: "knative/configuration:1"}]}}}
---
apiVersion: serving.knative.dev/v1
kind: Revision
spec: {containers: [{image: "knative/revision:1"}]}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
spec:
  jobTargetRef: {template: {spec: {containers: [{name: c, image: "keda/job:1"}]}}}
---
apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
spec: {template: {spec: {containers: [{name: c, image: "openshift/dc:1"}]}}}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
spec: {template: {spec: {containers: [{name: c, image: "argo/rollout:1"}]}}}
---
apiVersion: v1
kind: ReplicationController
spec: {template: {spec: {containers: [{name: c, image: "core/rc:1"}]}}}
---
apiVersion: v1
kind: PodTemplate
template: {spec: {containers: [{name: c, image: "core/podtemplate:1"}]}}
---
apiVersion: apps/v1
kind: StatefulSet
spec: {template: {spec: {containers: [{name: c, image: "core/sts:1"}]}}}
---
apiVersion: apps/v1
kind: DaemonSet
spec: {template: {spec: {containers: [{name: c, image: "core/ds:1"}]}}}
---
apiVersion: apps/v1
kind: ReplicaSet
spec: {template: {spec: {containers: [{name: c, image: "core/rs:1"}]}}}
---
apiVersion: batch/v1
kind: Job
spec: {template: {spec: {containers: [{name: c, image: "core/job:1"}]}}}
---
apiVersion: v1
kind: Pod
spec:
  containers: [{name: c, image: "core/pod:1"}]
  ephemeralContainers: [{name: debug, image: "core/ephemeral:1"}]
  volumes:
    - name: models
      image: {reference: "core/image-volume:1", pullPolicy: IfNotPresent}
    - name: plain
      emptyDir: {}
"""


def test_knative_keda_openshift_rollouts_core_workloads_and_image_volumes() -> None:
    found = images_in_yaml(OTHER_KINDS, "all.yaml")
    assert len(found) == 15
    assert all(item.ref is not None for item in found)
    volume = next(item for item in found if item.text == "core/image-volume:1")
    assert volume.source_kind == "imageVolume"
    assert volume.location.path == "spec.volumes[0].image.reference"


def test_bad_images_in_container_positions_are_kept_to_be_denied() -> None:
    found = images_in_yaml(
        "apiVersion: tekton.dev/v1\nkind: Task\nspec:\n"
        "  steps: [{name: a, image: 'Bad Image'}]\n"
        "  stepTemplate: {image: 42}\n"
        "  sidecars: [{name: s, image: ''}]\n",
        "task.yaml",
    )
    assert len(found) == 3
    assert all(item.ref is None and item.error for item in found)


def test_unknown_kinds_are_walked_whole_for_image_strings() -> None:
    found = images_in_yaml(
        "apiVersion: example.com/v1\nkind: Frobnicator\nspec:\n"
        "  engine:\n    image: ghcr.io/acme/engine:2\n"
        "  workers:\n    - {image: 'quay.io/acme/worker@sha256:" + "a" * 64 + "'}\n"
        "  banner: {image: 'not an image reference!'}\n"
        "  count: {image: 3}\n"
        "---\n"
        "apiVersion: v1\nkind: ConfigMap\ndata: {image: 'registry.acme.dev/op/target:5'}\n"
        "---\n"
        "apiVersion: example.com/v1\nkind: Deployment\n"  # a known name in a foreign group
        "spec: {runner: {image: 'acme/foreign:1'}}\n"
        "---\n"
        "apiVersion: tekton.dev/v1beta1\nkind: StepAction\nspec: {image: 'tekton/action:1'}\n",
        "crd.yaml",
    )
    assert sorted(item.text for item in found) == sorted(
        [
            "ghcr.io/acme/engine:2",
            "quay.io/acme/worker@sha256:" + "a" * 64,
            "registry.acme.dev/op/target:5",
            "acme/foreign:1",
            "tekton/action:1",
        ]
    )
    engine = next(item for item in found if item.text == "ghcr.io/acme/engine:2")
    assert engine.source_kind == "image field" and engine.location.line == 5
    assert engine.location.path == "spec.engine.image"


def test_known_kinds_take_container_positions_only_and_lists_judge_each_item() -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - apiVersion: apps/v1\n    kind: Deployment\n"
        "    metadata: {annotations: {image: 'docs/example:1'}}\n"
        "    spec: {template: {spec: {containers: [{name: c, image: 'real/app:1'}]}}}\n"
        "  - apiVersion: example.com/v1\n    kind: Thing\n    spec: {image: 'crd/thing:1'}\n"
    )
    assert texts(text) == ["crd/thing:1", "real/app:1"]
    assert is_pod_spec_kind("apps/v1", "Deployment")
    assert is_pod_spec_kind(None, "Deployment")
    assert not is_pod_spec_kind("example.com/v1", "Deployment")
    assert is_pod_spec_kind("tekton.dev/v1", "Task") and not is_pod_spec_kind("v1", "Task")


def test_yaml_spellings_of_keys_do_not_hide_images() -> None:
    # anchors, quoted keys and flow style all reach the walker as plain data
    text = (
        "kind: &k Pod\n"
        "spec:\n"
        '  "containers":\n'
        "    - &c {name: a, image: 'anchored/app:1'}\n"
        "  initContainers: [*c]\n"
        "---\n"
        '{"apiVersion": "tekton.dev/v1", "kind": "Task", "spec": {"steps": '
        '[{"name": "s", "image": "json/step:1"}]}}\n'
    )
    assert texts(text) == ["anchored/app:1", "anchored/app:1", "json/step:1"]


def _pod(image: str) -> str:
    return f"kind: Pod\nspec:\n  containers: [{{name: a, image: '{image}'}}]\n"


def test_dot_folders_links_and_special_names_hide_nothing(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for folder, name, image in [
        (".tekton", "task.yaml", "dot/tekton:1"),
        (".argo/deep/.er", "wf.yml", "dot/deep:1"),
        ("node_modules", "pod.json", "dot/node:1"),
        (".venv", "pod.yaml", "dot/venv:1"),
        ("plain", "Kustomization", None),
    ]:
        (tree / folder).mkdir(parents=True)
        if name == "Kustomization":
            (tree / folder / name).write_text("images: [{name: x, newName: kust/x, newTag: '1'}]\n")
        elif name.endswith(".json"):
            spec = '{"kind": "Pod", "spec": {"containers": [{"name": "a", "image": "%s"}]}}'
            (tree / folder / name).write_text(spec % image)
        else:
            (tree / folder / name).write_text(_pod(image or ""))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "pod.yaml").write_text(_pod("linked/folder:1"))
    (tree / "linked").symlink_to(outside)
    (tree / "loop").symlink_to(tree)  # a loop ends
    (tree / ".git").mkdir()
    (tree / ".git" / "config.yaml").write_text(_pod("never/tracked:1"))
    found = find_images([tree])
    assert sorted(item.text for item in found) == sorted(
        [
            "dot/tekton:1",
            "dot/deep:1",
            "dot/node:1",
            "dot/venv:1",
            "kust/x:1",
            "linked/folder:1",
        ]
    )


def test_unreadable_names_in_folders_are_errors_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    with pytest.raises(InputError, match="dangling.yaml"):
        find_images([tmp_path])
    (tmp_path / "dangling.yaml").unlink()
    os.mkfifo(tmp_path / "pipe.yaml")
    with pytest.raises(InputError, match="pipe.yaml: not a regular file"):
        find_images([tmp_path])


def test_empty_inputs_say_why(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "comments.yaml").write_text("# nothing here\n---\n")
    (tmp_path / "noimages.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("# images: nginx\n")
    (tmp_path / "ok.yaml").write_text(_pod("fine:1"))
    paths = [
        tmp_path / "empty.yaml",
        tmp_path / "comments.yaml",
        tmp_path / "noimages.yaml",
        tmp_path / "docs",
        Path("/dev/null"),
        tmp_path / "ok.yaml",
    ]
    try:
        results = scan_inputs(paths)
    except InputError as exc:  # a loader that refuses character devices is fine too
        assert "/dev/null" in str(exc)
        results = scan_inputs(paths[:4] + paths[5:])
    reasons = [item.emptiness for item in results]
    assert reasons[0] == f"{tmp_path / 'empty.yaml'}: empty (no documents or instructions)"
    assert reasons[1] == f"{tmp_path / 'comments.yaml'}: empty (no documents or instructions)"
    assert reasons[2] == f"{tmp_path / 'noimages.yaml'}: 1 document(s), no image references"
    assert reasons[3] == f"{tmp_path / 'docs'}: no manifests, Dockerfiles or kustomizations found"
    assert reasons[-1] is None
    if len(results) == 6:
        assert reasons[4] is not None and reasons[4].startswith("/dev/null:")
