"""Container image references, parsed and normalised as the Distribution reference grammar says.

``nginx`` normalises to ``docker.io/library/nginx:latest``; a reference with ``@sha256:...``
is pinned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from seccli.core.urls import redact_urls

DEFAULT_REGISTRY = "docker.io"
_LEGACY_REGISTRIES = {"index.docker.io", "registry-1.docker.io"}
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(
    rf"^(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$"
)
_PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_MAX_NAME = 255


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A parsed image reference; ``tag`` is ``None`` only when pinned by digest alone."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """``registry/repository`` without tag or digest."""
        return f"{self.registry}/{self.repository}"

    @property
    def pinned(self) -> bool:
        """True when the reference names an immutable digest."""
        return self.digest is not None

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse_image_ref(reference: str) -> ImageRef:
    """Parse and normalise ``reference``; raises ``ValueError`` saying what is wrong (a
    reference written as a URL with credentials is quoted without them)."""
    shown = redact_urls(reference)
    text = reference.strip()
    if not text:
        raise ValueError("empty image reference")
    if text != reference or any(ch.isspace() for ch in text):
        raise ValueError(f"image reference {shown!r} contains white space")
    if "://" in text:
        raise ValueError(
            f"image reference {shown!r} is a URL: write registry/repository[:tag][@digest]"
        )
    digest: str | None = None
    if "@" in text:
        text, digest = text.split("@", 1)
        if not _DIGEST.match(digest):
            raise ValueError(f"malformed digest {digest!r} in {reference!r}")
        algorithm, hex_part = digest.split(":", 1)
        if algorithm == "sha256" and len(hex_part) != 64:
            raise ValueError(f"sha256 digest must have 64 hex digits in {reference!r}")
        digest = f"{algorithm}:{hex_part.lower()}"
    tag: str | None = None
    last_slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > last_slash:
        text, tag = text[:colon], text[colon + 1 :]
        if not _TAG.match(tag):
            raise ValueError(f"malformed tag {tag!r} in {reference!r}")
    registry, repository = _split_registry(text, reference)
    if len(f"{registry}/{repository}") > _MAX_NAME:
        raise ValueError(f"image name longer than {_MAX_NAME} characters: {reference!r}")
    if tag is None and digest is None:
        tag = "latest"
    return ImageRef(registry, repository, tag, digest)


def _split_registry(name: str, reference: str) -> tuple[str, str]:
    parts = name.split("/")
    first = parts[0]
    has_registry = len(parts) > 1 and (
        "." in first or ":" in first or first == "localhost" or first != first.lower()
    )
    if has_registry:
        if not _DOMAIN.match(first):
            raise ValueError(f"malformed registry {first!r} in {reference!r}")
        registry = DEFAULT_REGISTRY if first in _LEGACY_REGISTRIES else first
        components = parts[1:]
    else:
        registry = DEFAULT_REGISTRY
        components = parts
    for component in components:
        if not _PATH_COMPONENT.match(component):
            raise ValueError(
                f"malformed repository component {component!r} in {reference!r} "
                "(lower-case letters, digits and separators . _ __ - only)"
            )
    if registry == DEFAULT_REGISTRY and len(components) == 1:
        components = ["library", *components]
    return registry, "/".join(components)
