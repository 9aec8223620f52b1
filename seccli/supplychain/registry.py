"""A small OCI Distribution v2 client with a connection pool, built on ``urllib3``.

Why our own client rather than ``oras`` (oras-py): a gate verifies hundreds of images, so it
needs one thread-safe connection pool shared by many worker threads, bounded retries with
backoff that distinguish idempotent reads from writes, strict size limits and digest checks on
everything read, the referrers API with its tag-schema fallback (which oras-py lacks), and
errors that map onto fail-closed verdicts. oras-py is built on a per-client ``requests`` session
and offers none of the referrers handling, so wrapping it would have cost more than these few
hundred lines.

What it does:
- anonymous access, bearer tokens (``WWW-Authenticate: Bearer realm=,service=,scope=``, cached
  per registry and scope) and basic credentials (from the Docker ``config.json``);
- OCI and Docker manifests and indexes, tag → digest resolution (the digest is always computed
  from the bytes received and must agree with ``Docker-Content-Digest``);
- blobs (digest-checked), pushing blobs and manifests;
- referrers: the ``/referrers/<digest>`` API, falling back to the ``sha256-<hex>`` tag index;
- plain HTTP only for registries named in ``insecure``; timeouts; bounded retries with backoff.

Every failure raises ``RegistryError`` (a ``DependencyError``), which a gate turns into a denial.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from seccli.core.documents import parse_json_bytes
from seccli.core.errors import DependencyError, InputError
from seccli.core.hashing import sha256_hex
from seccli.core.redaction import Secret
from seccli.core.urls import redact_url

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
ACCEPT_MANIFESTS = ", ".join([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST])
EMPTY_JSON = b"{}"

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_RETRIES = 2
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_BLOB_BYTES = 64 * 1024 * 1024
_MAX_REDIRECTS = 5
_CHUNK_BYTES = 64 * 1024
_OVERALL_PASSED = "overall deadline passed"
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(DependencyError):
    """A registry could not be reached, refused us, or answered something unusable."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """Basic credentials for one registry; the password never appears in a repr or a log."""

    username: str
    password: Secret


@dataclass(frozen=True, slots=True)
class RegistryOptions:
    """Connection behaviour of a ``RegistryClient``."""

    timeout: float = DEFAULT_TIMEOUT_S
    retries: int = DEFAULT_RETRIES
    backoff: float = 0.2
    insecure: frozenset[str] = frozenset()
    max_connections: int = 32
    credentials: Mapping[str, Credentials] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Descriptor:
    """An OCI content descriptor."""

    media_type: str
    digest: str
    size: int
    artifact_type: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    platform: Mapping[str, Any] | None = None

    @classmethod
    def of_manifest(
        cls, manifest: Mapping[str, Any], media_type: str, digest: str, size: int
    ) -> Descriptor:
        """The descriptor of a pushed manifest (its artifact type, else its config's media
        type, and its annotations), as a referrers index lists it."""
        config = manifest.get("config") or {}
        return cls(
            media_type,
            digest,
            size,
            manifest.get("artifactType") or config.get("mediaType"),
            manifest.get("annotations") or {},
        )

    @classmethod
    def from_json(cls, data: Any) -> Descriptor:
        """Parse and check a descriptor; raises ``RegistryError`` when malformed."""
        if not isinstance(data, dict):
            raise RegistryError("malformed descriptor: not an object")
        digest = data.get("digest")
        media_type = data.get("mediaType")
        size = data.get("size")
        if not isinstance(digest, str) or not _DIGEST.match(digest):
            raise RegistryError(f"malformed descriptor: bad digest {digest!r}")
        if not isinstance(media_type, str) or not isinstance(size, int) or size < 0:
            raise RegistryError("malformed descriptor: mediaType or size missing")
        annotations = data.get("annotations") or {}
        if not isinstance(annotations, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in annotations.items()
        ):
            raise RegistryError("malformed descriptor: annotations must map strings to strings")
        artifact_type = data.get("artifactType")
        platform = data.get("platform")
        return cls(
            media_type,
            digest,
            size,
            artifact_type if isinstance(artifact_type, str) else None,
            annotations,
            platform if isinstance(platform, dict) else None,
        )

    def to_json(self) -> dict[str, Any]:
        """The descriptor as OCI JSON."""
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.platform:
            out["platform"] = dict(self.platform)
        return out


@dataclass(frozen=True, slots=True)
class Manifest:
    """A manifest or index as received: its bytes, computed digest and parsed JSON."""

    digest: str
    media_type: str
    raw: bytes
    data: dict[str, Any]

    @property
    def is_index(self) -> bool:
        """True for OCI image indexes and Docker manifest lists."""
        return self.media_type in INDEX_TYPES

    def layers(self) -> list[Descriptor]:
        """The layers of an image manifest."""
        layers = self.data.get("layers")
        if not isinstance(layers, list):
            raise RegistryError(f"manifest {self.digest} has no layers list")
        return [Descriptor.from_json(item) for item in layers]

    def manifests(self) -> list[Descriptor]:
        """The entries of an index."""
        items = self.data.get("manifests")
        if not isinstance(items, list):
            raise RegistryError(f"index {self.digest} has no manifests list")
        return [Descriptor.from_json(item) for item in items]

    @property
    def subject(self) -> Descriptor | None:
        """The manifest's ``subject`` (what it refers to), if any."""
        subject = self.data.get("subject")
        return Descriptor.from_json(subject) if subject is not None else None

    @property
    def artifact_type(self) -> str | None:
        """``artifactType``, or the config media type as OCI 1.1 says for older artifacts."""
        value = self.data.get("artifactType")
        if isinstance(value, str):
            return value
        config = self.data.get("config")
        if isinstance(config, dict) and isinstance(config.get("mediaType"), str):
            return str(config["mediaType"])
        return None


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    headers: Mapping[str, str]
    body: bytes


def load_docker_config(path: Path) -> dict[str, Credentials]:
    """Basic credentials from a Docker ``config.json`` (``auths`` entries; helpers not run)."""
    from seccli.core.documents import load_documents

    if not path.exists():
        return {}
    documents = load_documents(path, fmt="json")
    data = documents[0].data if documents else None
    auths = data.get("auths") if isinstance(data, dict) else None
    creds: dict[str, Credentials] = {}
    if not isinstance(auths, dict):
        return creds
    for server, entry in auths.items():
        if not isinstance(entry, dict):
            continue
        host = _config_host(str(server))
        username, password = entry.get("username"), entry.get("password")
        encoded = entry.get("auth")
        if isinstance(encoded, str) and encoded:
            try:
                decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
            except ValueError:
                raise InputError(
                    f"{path}: auths[{redact_url(server)!r}].auth is not base64 of 'user:password'"
                ) from None
            username, _, password = decoded.partition(":")
        if isinstance(username, str) and isinstance(password, str) and username:
            creds[host] = Credentials(username, Secret(password))
    return creds


def _config_host(server: str) -> str:
    host = urlsplit(server).netloc if "://" in server else server.split("/", 1)[0]
    host = host.rpartition("@")[2]  # credentials in the key are not part of the host
    return "docker.io" if host in {"index.docker.io", "registry-1.docker.io"} else host


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """Split a ``WWW-Authenticate`` header into its scheme and parameters."""
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), dict(_CHALLENGE_PARAM.findall(rest))


def fallback_tag(digest: str) -> str:
    """The tag of the referrers fallback index for ``digest``: ``sha256-<hex>``."""
    algorithm, _, hex_part = digest.partition(":")
    return f"{algorithm}-{hex_part}"


class RegistryClient:
    """A thread-safe Distribution v2 client; share one instance between worker threads."""

    def __init__(self, options: RegistryOptions | None = None) -> None:
        import urllib3

        from seccli.supplychain.deadlines import WatchedPoolManager

        self.options = options or RegistryOptions()
        self._urllib3 = urllib3
        self._pool = WatchedPoolManager(
            num_pools=16,
            maxsize=self.options.max_connections,
            retries=False,
            timeout=urllib3.Timeout(connect=self.options.timeout, read=self.options.timeout),
        )
        self._lock = threading.Lock()
        self._auth: dict[tuple[str, str], str] = {}
        self._no_referrers_api: set[str] = set()

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.clear()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport -----------------------------------------------------------------------

    def _base(self, registry: str) -> str:
        host = "registry-1.docker.io" if registry == "docker.io" else registry
        scheme = "http" if registry in self.options.insecure else "https"
        return f"{scheme}://{host}"

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        max_bytes: int,
        redirects: int = 0,
    ) -> _Response:
        """One HTTP exchange with bounded retries (reads only), redirects and a size limit.

        ``timeout`` is a deadline for each whole attempt (connect, headers and body: a server
        that trickles bytes is cut off), and the thread's overall deadline (see
        ``overall_deadline``) bounds every attempt and every back-off pause.
        """
        from seccli.supplychain.deadlines import exchange, overall_remaining

        urllib3 = self._urllib3
        idempotent = method in {"GET", "HEAD"}
        attempts = 1 + (self.options.retries if idempotent else 0)
        last_error = "no attempt made"
        for attempt in range(attempts):
            if attempt:
                pause = self.options.backoff * (2 ** (attempt - 1))
                left = overall_remaining()
                if left is not None and left <= pause:
                    raise DeadlineExceeded(f"{_where(url)}: {last_error}; {_OVERALL_PASSED}")
                time.sleep(pause)
            left = overall_remaining()
            if left is not None and left <= 0:
                raise DeadlineExceeded(f"{_where(url)}: {_OVERALL_PASSED}")
            budget = self.options.timeout if left is None else min(self.options.timeout, left)
            with exchange(time.monotonic() + budget) as current:
                try:
                    response = self._pool.request(
                        method,
                        url,
                        headers=headers,
                        body=body,
                        preload_content=False,
                        redirect=False,
                        timeout=urllib3.Timeout(connect=budget, read=budget),
                    )
                    data = _read_body(response, method, max_bytes, url, current)
                except urllib3.exceptions.NewConnectionError as exc:  # subclasses a timeout
                    last_error = f"connection failed: {_short(exc)}"
                    if not current.fired:
                        continue
                except (urllib3.exceptions.TimeoutError, urllib3.exceptions.HTTPError) as exc:
                    last_error = f"connection failed: {_short(exc)}"
                    if not current.fired and not isinstance(exc, urllib3.exceptions.TimeoutError):
                        continue
                    current.fired = True
            if current.fired:
                if left is not None and left <= self.options.timeout:
                    raise DeadlineExceeded(f"{_where(url)}: {_OVERALL_PASSED}")
                last_error = (
                    f"timed out after {self.options.timeout:g} s (no complete answer in time)"
                )
                continue
            if response.status in {301, 302, 303, 307, 308}:
                location = response.headers.get("Location")
                if not location:
                    raise RegistryError(f"{_where(url)}: redirect without a Location")
                target = urljoin(url, location)
                if urlsplit(target).scheme != "https" and urlsplit(url).scheme == "https":
                    raise RegistryError(f"{_where(url)}: refusing a redirect to plain HTTP")
                # Blob redirects go to storage that must not receive our credentials.
                if redirects >= _MAX_REDIRECTS:
                    raise RegistryError(f"{_where(url)}: too many redirects")
                return self._send(
                    method, target, _without_auth(headers), body, max_bytes, redirects + 1
                )
            if response.status in _RETRY_STATUS and idempotent and attempt + 1 < attempts:
                last_error = f"HTTP {response.status}"
                continue
            return _Response(response.status, dict(response.headers.items()), data)
        raise RegistryError(f"{_where(url)}: {last_error}{_plain_http_hint(url, last_error)}")

    def _request(
        self,
        method: str,
        registry: str,
        path: str,
        *,
        scope: str,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        max_bytes: int = MAX_MANIFEST_BYTES,
        url: str | None = None,
    ) -> _Response:
        target = url or f"{self._base(registry)}{path}"
        all_headers = dict(headers or {})
        with self._lock:
            token = self._auth.get((registry, scope))
        if token:
            all_headers["Authorization"] = token
        response = self._send(method, target, all_headers, body, max_bytes)
        if response.status != 401:
            return response
        challenge = _header(response.headers, "WWW-Authenticate")
        if not challenge:
            raise RegistryError(f"{registry}: HTTP 401 without an authentication challenge")
        authorization = self._authenticate(registry, challenge, scope)
        with self._lock:
            self._auth[(registry, scope)] = authorization
        all_headers["Authorization"] = authorization
        response = self._send(method, target, all_headers, body, max_bytes)
        if response.status == 401:
            raise RegistryError(
                f"{registry}: authentication refused for {scope}",
                hint="check the credentials in the Docker config.json",
            )
        return response

    def _authenticate(self, registry: str, challenge: str, scope: str) -> str:
        scheme, params = parse_challenge(challenge)
        creds = self.options.credentials.get(registry)
        basic = None
        if creds is not None:
            pair = f"{creds.username}:{creds.password.reveal()}".encode()
            basic = "Basic " + base64.b64encode(pair).decode("ascii")
        if scheme == "basic":
            if basic is None:
                raise RegistryError(
                    f"{registry}: requires credentials and none are configured",
                    hint="log in with `docker login` or pass --docker-config",
                )
            return basic
        if scheme != "bearer":
            raise RegistryError(f"{registry}: unsupported authentication scheme {scheme!r}")
        realm = params.get("realm")
        if not realm:
            raise RegistryError(f"{registry}: bearer challenge without a realm")
        realm_scheme = urlsplit(realm).scheme
        if realm_scheme not in {"https", "http"} or (
            realm_scheme == "http" and registry not in self.options.insecure
        ):
            raise RegistryError(
                f"{registry}: refusing token realm {redact_url(realm)!r} (not HTTPS)"
            )
        query = {"service": params.get("service", ""), "scope": params.get("scope", scope)}
        headers = {"Authorization": basic} if basic else {}
        url = f"{realm}{'&' if '?' in realm else '?'}{urlencode(query)}"
        response = self._send("GET", url, headers, None, MAX_MANIFEST_BYTES)
        if response.status != 200:
            raise RegistryError(f"{registry}: token service answered HTTP {response.status}")
        try:
            answer = parse_json_bytes(response.body, f"{registry} token answer")
            token = answer.get("token") or answer.get("access_token")
        except (InputError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"{registry}: token service answered without a token")
        return f"Bearer {token}"

    # --- reads ---------------------------------------------------------------------------

    def get_manifest(self, registry: str, repository: str, reference: str) -> Manifest:
        """A manifest or index by tag or digest; its digest is computed and checked."""
        if ":" in reference and not _DIGEST.match(reference):
            raise RegistryError(
                f"{registry}/{repository}@{reference}: only sha256 digests can be verified"
            )
        response = self._request(
            "GET",
            registry,
            f"/v2/{repository}/manifests/{reference}",
            scope=f"repository:{repository}:pull",
            headers={"Accept": ACCEPT_MANIFESTS},
        )
        where = (
            f"{registry}/{repository}:{reference}"
            if ":" not in reference
            else (f"{registry}/{repository}@{reference}")
        )
        if response.status == 404:
            raise ManifestNotFound(f"{where}: manifest not found")
        if response.status != 200:
            raise RegistryError(f"{where}: registry answered HTTP {response.status}")
        return self._parse_manifest(where, reference, response)

    def _parse_manifest(self, where: str, reference: str, response: _Response) -> Manifest:
        digest = "sha256:" + sha256_hex(response.body)
        if reference.startswith("sha256:") and digest != reference:
            raise RegistryError(f"{where}: content does not match the requested digest")
        header_digest = _header(response.headers, "Docker-Content-Digest")
        if header_digest and header_digest.startswith("sha256:") and header_digest != digest:
            raise RegistryError(f"{where}: Docker-Content-Digest disagrees with the content")
        try:
            data = parse_json_bytes(response.body, f"{where} manifest")
        except InputError:
            raise RegistryError(f"{where}: manifest is not JSON") from None
        if not isinstance(data, dict):
            raise RegistryError(f"{where}: manifest is not a JSON object")
        media_type = data.get("mediaType")
        if not isinstance(media_type, str):
            content_type = (_header(response.headers, "Content-Type") or "").split(";")[0]
            media_type = content_type.strip()
            if media_type not in INDEX_TYPES | MANIFEST_TYPES:
                media_type = OCI_INDEX if "manifests" in data else OCI_MANIFEST
        if media_type not in INDEX_TYPES | MANIFEST_TYPES:
            raise RegistryError(f"{where}: unsupported manifest media type {media_type!r}")
        if data.get("schemaVersion") != 2:
            raise RegistryError(f"{where}: unsupported manifest schemaVersion")
        return Manifest(digest, media_type, response.body, data)

    def get_blob(
        self, registry: str, repository: str, digest: str, *, max_bytes: int = MAX_BLOB_BYTES
    ) -> bytes:
        """A blob's bytes; its digest is checked."""
        if not _DIGEST.match(digest):
            raise RegistryError(f"unsupported blob digest {digest!r}")
        response = self._request(
            "GET",
            registry,
            f"/v2/{repository}/blobs/{digest}",
            scope=f"repository:{repository}:pull",
            max_bytes=max_bytes,
        )
        where = f"{registry}/{repository}@{digest}"
        if response.status == 404:
            raise RegistryError(f"{where}: blob not found")
        if response.status != 200:
            raise RegistryError(f"{where}: registry answered HTTP {response.status}")
        if "sha256:" + sha256_hex(response.body) != digest:
            raise RegistryError(f"{where}: blob content does not match its digest")
        return response.body

    def referrers(
        self, registry: str, repository: str, digest: str, artifact_type: str | None = None
    ) -> list[Descriptor]:
        """Manifests whose ``subject`` is ``digest``: referrers API, else the tag index."""
        scope = f"repository:{repository}:pull"
        if registry not in self._no_referrers_api:
            query = f"?{urlencode({'artifactType': artifact_type})}" if artifact_type else ""
            response = self._request(
                "GET",
                registry,
                f"/v2/{repository}/referrers/{digest}{query}",
                scope=scope,
                headers={"Accept": OCI_INDEX},
            )
            if response.status == 200:
                try:
                    data = parse_json_bytes(response.body, f"{registry} referrers answer")
                except InputError:
                    raise RegistryError(f"{registry}: referrers answer is not JSON") from None
                items = data.get("manifests") if isinstance(data, dict) else None
                if not isinstance(items, list):
                    raise RegistryError(f"{registry}: referrers answer has no manifests list")
                found = [Descriptor.from_json(item) for item in items]
                return _filter_type(found, artifact_type)
            if response.status not in {404, 405, 400}:
                raise RegistryError(f"{registry}: referrers API answered HTTP {response.status}")
            with self._lock:
                self._no_referrers_api.add(registry)
        try:
            index = self.get_manifest(registry, repository, fallback_tag(digest))
        except ManifestNotFound:
            return []
        if not index.is_index:
            raise RegistryError(
                f"{registry}/{repository}:{fallback_tag(digest)}: referrers tag is not an index"
            )
        return _filter_type(index.manifests(), artifact_type)

    def tags(self, registry: str, repository: str) -> list[str]:
        """The repository's tags."""
        response = self._request(
            "GET", registry, f"/v2/{repository}/tags/list", scope=f"repository:{repository}:pull"
        )
        if response.status != 200:
            raise RegistryError(f"{registry}/{repository}: tags list answered {response.status}")
        try:
            tags = parse_json_bytes(response.body, f"{registry} tags list").get("tags") or []
        except (InputError, AttributeError):
            raise RegistryError(f"{registry}/{repository}: tags list is not JSON") from None
        return [str(tag) for tag in tags]

    # --- writes --------------------------------------------------------------------------

    def push_blob(self, registry: str, repository: str, data: bytes) -> Descriptor:
        """Upload a blob (skipped when already present); returns its descriptor."""
        digest = "sha256:" + sha256_hex(data)
        scope = f"repository:{repository}:pull,push"
        head = self._request("HEAD", registry, f"/v2/{repository}/blobs/{digest}", scope=scope)
        if head.status == 200:
            return Descriptor("application/octet-stream", digest, len(data))
        start = self._request(
            "POST", registry, f"/v2/{repository}/blobs/uploads/", scope=scope, body=b""
        )
        if start.status != 202:
            raise RegistryError(f"{registry}/{repository}: blob upload refused ({start.status})")
        location = _header(start.headers, "Location")
        if not location:
            raise RegistryError(f"{registry}/{repository}: upload without a Location")
        url = urljoin(f"{self._base(registry)}/", location)
        url += ("&" if "?" in url else "?") + urlencode({"digest": digest})
        done = self._request(
            "PUT",
            registry,
            "",
            scope=scope,
            url=url,
            body=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        if done.status != 201:
            raise RegistryError(f"{registry}/{repository}: blob upload failed ({done.status})")
        return Descriptor("application/octet-stream", digest, len(data))

    def push_manifest(
        self, registry: str, repository: str, reference: str, raw: bytes, media_type: str
    ) -> str:
        """Upload a manifest under a tag or its digest; returns its digest."""
        digest = "sha256:" + sha256_hex(raw)
        response = self._request(
            "PUT",
            registry,
            f"/v2/{repository}/manifests/{reference}",
            scope=f"repository:{repository}:pull,push",
            body=raw,
            headers={"Content-Type": media_type},
        )
        if response.status != 201:
            detail = response.body[:300].decode("utf-8", "replace")
            raise RegistryError(
                f"{registry}/{repository}:{reference}: manifest upload failed "
                f"({response.status}): {detail}"
            )
        return digest

    def push_referrer(self, registry: str, repository: str, manifest: dict[str, Any]) -> Descriptor:
        """Push a manifest with a ``subject``; registries without the referrers API get the
        ``sha256-<hex>`` tag index updated too (read, add, write)."""
        raw = json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()
        media_type = str(manifest.get("mediaType", OCI_MANIFEST))
        digest = self.push_manifest(
            registry, repository, "sha256:" + sha256_hex(raw), raw, media_type
        )
        descriptor = Descriptor.of_manifest(manifest, media_type, digest, len(raw))
        subject = manifest.get("subject")
        if not isinstance(subject, dict) or not isinstance(subject.get("digest"), str):
            return descriptor
        subject_digest = subject["digest"]
        # Probe once: a registry with the API indexes referrers by itself.
        self.referrers(registry, repository, subject_digest)
        if registry not in self._no_referrers_api:
            return descriptor
        tag = fallback_tag(subject_digest)
        try:
            entries = self.get_manifest(registry, repository, tag).manifests()
        except ManifestNotFound:
            entries = []
        if any(entry.digest == digest for entry in entries):
            return descriptor
        index = {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [entry.to_json() for entry in entries] + [descriptor.to_json()],
        }
        index_raw = json.dumps(index, separators=(",", ":"), sort_keys=True).encode()
        self.push_manifest(registry, repository, tag, index_raw, OCI_INDEX)
        return descriptor


class ManifestNotFound(RegistryError):
    """The registry has no manifest under that tag or digest (HTTP 404)."""


class DeadlineExceeded(RegistryError):
    """The overall deadline of the thread's current job (e.g. one image) passed."""


def _read_body(response: Any, method: str, max_bytes: int, url: str, current: Any) -> bytes:
    """The body in chunks: refused past ``max_bytes`` (``Content-Length`` is checked first),
    and worthless once the exchange's deadline fired (a cut connection can look like EOF).
    The connection goes back to the pool only after a complete read."""
    complete = False
    try:
        if method == "HEAD":
            complete = True
            return b""
        length = _header(response.headers, "Content-Length") or ""
        if length.strip().isdigit() and int(length) > max_bytes:
            raise RegistryError(f"{_where(url)}: response larger than {max_bytes:,} bytes")
        chunks: list[bytes] = []
        total = 0
        while not current.fired:
            chunk = response.read(_CHUNK_BYTES, decode_content=True)
            if not chunk:
                complete = not current.fired
                break
            total += len(chunk)
            if total > max_bytes:
                raise RegistryError(f"{_where(url)}: response larger than {max_bytes:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        if not complete:
            response.close()
        response.release_conn()


def _filter_type(items: list[Descriptor], artifact_type: str | None) -> list[Descriptor]:
    if artifact_type is None:
        return items
    return [item for item in items if item.artifact_type == artifact_type]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _without_auth(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() != "authorization"}


# What OpenSSL says when the server answers a TLS handshake in plain HTTP.
_PLAIN_HTTP_ANSWERS = ("WRONG_VERSION_NUMBER", "wrong version number", "http request")


def _plain_http_hint(url: str, error: str) -> str:
    """A hint when an HTTPS request met a server speaking plain HTTP (e.g. a local registry)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not any(text in error for text in _PLAIN_HTTP_ANSWERS):
        return ""
    host = parts.netloc.rpartition("@")[2]
    return (
        f" (the registry seems to speak plain HTTP, not TLS: if that is intended, e.g. a local "
        f"registry, pass --insecure-registry {host})"
    )


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc.rpartition('@')[2]}{parts.path}"  # never the userinfo


def _short(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)
    text = str(reason or exc)
    return text.split(": ", 1)[-1][:200]
