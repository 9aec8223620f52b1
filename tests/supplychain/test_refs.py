"""Image references from manifests, Dockerfiles, kustomizations and stdin, with their lines."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from seccli.core.errors import InputError
from seccli.supplychain.refs import find_images, images_in_dockerfile, images_in_yaml

DIGEST = "sha256:0c29cbc4ee992922d9b7d6edcd641e49a5c4eddb31bdcea0380ea19a1810a5b6"

MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: registry.acme.dev/tools/migrate:1.2
      containers:
        - name: web
          image: nginx
        - name: sidecar
          image: ghcr.io/acme/proxy@<DIGEST>
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: job
              image: acme/batch:2024.1
---
apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  containers: [{name: app, image: "localhost:5000/app:dev"}]
  ephemeralContainers:
    - name: shell
      image: busybox:1.36
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: bad}
    spec:
      containers:
        - name: broken
          image: "UPPER/Case:tag"
""".replace("<DIGEST>", DIGEST)


def test_manifests_every_pod_bearing_kind_with_lines() -> None:
    found = images_in_yaml(MANIFESTS, "deploy.yaml")
    by_text = {item.text: item for item in found}
    assert [item.text for item in found] == [
        "registry.acme.dev/tools/migrate:1.2",
        "nginx",
        "ghcr.io/acme/proxy@sha256:0c29cbc4ee992922d9b7d6edcd641e49a5c4eddb31bdcea0380ea19a1810a5b6",
        "acme/batch:2024.1",
        "localhost:5000/app:dev",
        "busybox:1.36",
        "UPPER/Case:tag",
    ]
    nginx = by_text["nginx"]
    assert nginx.normalised == "docker.io/library/nginx:latest"
    assert nginx.location.line == 12
    assert nginx.location.path == "spec.template.spec.containers[0].image"
    assert by_text["registry.acme.dev/tools/migrate:1.2"].source_kind == "initContainer"
    assert by_text["busybox:1.36"].source_kind == "ephemeralContainer"
    assert by_text["busybox:1.36"].location.line == 35
    assert by_text["acme/batch:2024.1"].normalised == "docker.io/acme/batch:2024.1"
    assert by_text[
        "ghcr.io/acme/proxy@sha256:"
        + "0c29cbc4ee992922d9b7d6edcd641e49a5c4eddb31bdcea0380ea19a1810a5b6"
    ].ref.pinned  # type: ignore[union-attr]
    broken = by_text["UPPER/Case:tag"]
    assert broken.ref is None and broken.error


DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG BASE=python
ARG VERSION=3.12-slim
ARG UNSET
FROM --platform=$BUILDPLATFORM ${BASE}:${VERSION} AS build
RUN pip wheel . \\
    --wheel-dir /wheels
FROM build AS test
FROM gcr.io/distroless/python3@<DIGEST>
COPY --from=build /wheels /wheels
COPY --from=docker.io/library/busybox:1.36 /bin/sh /bin/sh
FROM scratch
FROM alpine:${UNSET}
FROM ${REGISTRY:-quay.io}/org/tool:1
""".replace("<DIGEST>", DIGEST)


def test_dockerfile_stages_args_and_copy_from() -> None:
    found = images_in_dockerfile(DOCKERFILE, "Dockerfile")
    assert [(item.normalised, item.location.line) for item in found if item.ref] == [
        ("docker.io/library/python:3.12-slim", 5),
        (
            "gcr.io/distroless/python3@sha256:"
            "0c29cbc4ee992922d9b7d6edcd641e49a5c4eddb31bdcea0380ea19a1810a5b6",
            9,
        ),
        ("docker.io/library/busybox:1.36", 11),
        ("quay.io/org/tool:1", 14),
    ]
    unresolved = [item for item in found if item.ref is None]
    assert len(unresolved) == 1
    assert unresolved[0].location.line == 13
    assert "ARG UNSET has no default value" in (unresolved[0].error or "")


def test_kustomization_images(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [deploy.yaml]\n"
        "images:\n"
        "  - name: nginx\n"
        "    newName: registry.acme.dev/mirror/nginx\n"
        "    newTag: '1.27'\n"
        "  - name: app\n"
        "    digest: sha256:0c29cbc4ee992922d9b7d6edcd641e49a5c4eddb31bdcea0380ea19a1810a5b6\n"
    )
    found = find_images([tmp_path])
    assert [item.normalised for item in found] == [
        "registry.acme.dev/mirror/nginx:1.27",
        "docker.io/library/app@sha256:0c29cbc4ee992922d9b7d6edcd641e49a5c4eddb31bdcea0380ea19a1810a5b6",
    ]
    assert found[0].location.line == 3


def test_folders_stdin_and_errors(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM alpine:3.20\n")
    (tmp_path / "app" / "pod.yml").write_text(
        "kind: Pod\nspec:\n  containers: [{name: a, image: redis:7}]\n"
    )
    (tmp_path / ".hidden").mkdir()  # dot-folders hide nothing
    (tmp_path / ".hidden" / "pod.yaml").write_text(
        "kind: Pod\nspec:\n  containers: [{name: a, image: evil:1}]\n"
    )
    found = find_images([tmp_path])
    assert sorted(item.normalised for item in found) == [
        "docker.io/library/alpine:3.20",
        "docker.io/library/evil:1",
        "docker.io/library/redis:7",
    ]
    stdin = io.BytesIO(b"kind: Pod\nspec:\n  containers:\n    - {name: x, image: 'memcached:1'}\n")
    piped = find_images([Path("-")], stdin=stdin)
    assert piped[0].location.file == "<stdin>" and piped[0].location.line == 4
    with pytest.raises(InputError, match="not found"):
        find_images([tmp_path / "missing.yaml"])
    (tmp_path / "bad.yaml").write_text("kind: Pod\nspec: [unclosed\n")
    with pytest.raises(InputError, match=r"bad.yaml:\d+"):
        find_images([tmp_path / "bad.yaml"])


def test_dockerfile_heredocs_lowercase_and_escape_directive() -> None:
    text = (
        "# escape=`\n"
        "from alpine:3.20 as base\n"
        "RUN <<EOF\n"
        "FROM evil/inside-heredoc:1\n"
        "EOF\n"
        "COPY <<-'CONF' /etc/app.conf\n"
        "  FROM also/not-an-image:2\n"
        "CONF\n"
        "FROM `\n"
        "  redis:7 AS cache\n"
    )
    found = images_in_dockerfile(text, "Dockerfile")
    assert [(item.normalised, item.location.line) for item in found] == [
        ("docker.io/library/alpine:3.20", 2),
        ("docker.io/library/redis:7", 9),
    ]
