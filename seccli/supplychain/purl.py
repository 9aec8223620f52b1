"""Package URLs (purl-spec) for the ecosystems seccli's SBOMs describe: PyPI, npm, Go."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

_PYPI_SEPARATORS = re.compile(r"[-_.]+")


def pypi_name(name: str) -> str:
    """The normalised PyPI project name (PEP 503): lower case, runs of ``-_.`` as ``-``."""
    return _PYPI_SEPARATORS.sub("-", name).lower()


def _segment(text: str) -> str:
    return quote(text, safe=".-_~")


def package_url(kind: str, name: str, version: str | None, namespace: str | None = None) -> str:
    """``pkg:TYPE/NAMESPACE/NAME@VERSION`` with each part percent-encoded."""
    parts = [_segment(part) for part in (namespace or "").split("/") if part]
    parts.append(_segment(name))
    text = f"pkg:{kind}/" + "/".join(parts)
    return text + (f"@{_segment(version)}" if version else "")


def pypi_purl(name: str, version: str | None) -> str:
    """The purl of a PyPI project."""
    return package_url("pypi", pypi_name(name), version)


def npm_purl(name: str, version: str | None) -> str:
    """The purl of an npm package (``@scope/name`` puts the scope in the namespace)."""
    if name.startswith("@") and "/" in name:
        scope, _, bare = name.partition("/")
        return package_url("npm", bare, version, scope)
    return package_url("npm", name, version)


def golang_purl(module: str, version: str | None) -> str:
    """The purl of a Go module (its path's last element is the name)."""
    namespace, _, name = module.rpartition("/")
    return package_url("golang", name, version, namespace or None)


def purl_identity(purl: str) -> str:
    """A purl without version, qualifiers and subpath: the same package across versions.

    Type and (for PyPI) name are normalised, so ``pkg:PyPI/Left_Pad@1`` and
    ``pkg:pypi/left-pad@2`` have one identity; other ecosystems keep their case.
    """
    text = purl.split("#", 1)[0].split("?", 1)[0]
    scheme, _, rest = text.partition(":")
    kind, _, path = rest.lstrip("/").partition("/")
    if "@" in path:
        path = path[: path.rindex("@")]
    kind = kind.lower()
    parts = [unquote(part) for part in path.split("/") if part]
    if kind == "pypi" and parts:
        parts[-1] = pypi_name(parts[-1])
    return f"{scheme.lower()}:{kind}/" + "/".join(_segment(p) for p in parts)
