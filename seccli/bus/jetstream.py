"""The ``nats`` bus: NATS JetStream through nats-py.

Streams (file storage, created on first use): ``SECCLI_JOBS`` (work queue on
``<prefix>.*.command.>``, one durable pull consumer shared by every worker),
``SECCLI_RESULTS`` (``<prefix>.*.results.>`` and ``<prefix>.*.deadletter.>``),
``CLAYTOM_AUDIT`` (``<prefix>.corporate.audit``, limits) and ``SECCLI_METRICS``
(``<prefix>.*.metrics.security``); a key-value bucket for job states and an object store for
payloads. Publications carry a ``Nats-Msg-Id`` so that a repeated publication is one message.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Sequence
from typing import Any

from seccli.bus.config import BusConfig
from seccli.bus.interface import AuditCopy, BusUnavailable, Delivery, JobStatus
from seccli.bus.local import audit_copy_of, status_of
from seccli.bus.model import (
    Job,
    JobResult,
    audit_subject,
    canonical,
    decode_result,
    metrics_subject,
)

JOBS_STREAM = "SECCLI_JOBS"
RESULTS_STREAM = "SECCLI_RESULTS"
AUDIT_STREAM = "CLAYTOM_AUDIT"
METRICS_STREAM = "SECCLI_METRICS"
STATUS_BUCKET = "seccli-jobs"
PAYLOAD_BUCKET = "seccli-payloads"
DURABLE = "seccli-workers"
DUPLICATE_WINDOW = 24 * 3600.0


class NatsDelivery:
    """A JetStream message delivered to this worker."""

    def __init__(self, msg: Any) -> None:
        self._msg = msg

    @property
    def data(self) -> bytes:
        return bytes(self._msg.data)

    @property
    def attempt(self) -> int:
        return int(self._msg.metadata.num_delivered)

    async def ack(self) -> None:
        await self._msg.ack()

    async def nak(self, delay: float) -> None:
        await self._msg.nak(delay=delay)

    async def in_progress(self) -> None:
        await self._msg.in_progress()

    async def term(self) -> None:
        await self._msg.term()


class NatsBus:
    """JetStream at ``config.url``."""

    def __init__(
        self,
        config: BusConfig,
        *,
        ack_wait: float = 30.0,
        max_deliver: int = 5,
        subjects: Sequence[str] = (),
    ) -> None:
        self.config = config
        self.ack_wait = ack_wait
        self.max_deliver = max_deliver
        self.subjects = tuple(subjects)
        self._nc: Any = None
        self._js: Any = None
        self._kv: Any = None
        self._obs: Any = None
        self._sub: Any = None

    async def connect(self) -> None:
        import nats

        url = self.config.url.reveal() if self.config.url else ""
        options: dict[str, Any] = {
            "servers": [url],
            "connect_timeout": self.config.connect_timeout,
            "allow_reconnect": True,
            "max_reconnect_attempts": -1,
            "reconnect_time_wait": 0.5,
            "error_cb": _quiet,
            "disconnected_cb": _quiet_event,
            "reconnected_cb": _quiet_event,
            "closed_cb": _quiet_event,
        }
        if self.config.user is not None:
            options["user"] = self.config.user.reveal()
        if self.config.password is not None:
            options["password"] = self.config.password.reveal()
        if self.config.token is not None:
            options["token"] = self.config.token.reveal()
        if self.config.creds_file is not None:
            options["user_credentials"] = str(self.config.creds_file)
        if self.config.nkey_seed_file is not None:
            options["nkeys_seed"] = str(self.config.nkey_seed_file)
        try:
            if url.startswith("tls://") or self.config.tls_ca or self.config.tls_cert:
                options["tls"] = self._tls_context()
            # The first connection fails fast (no retry loop); once connected, the client
            # reconnects on its own (a server restart during a run loses nothing).
            self._nc = await asyncio.wait_for(
                nats.connect(**{**options, "allow_reconnect": False, "max_reconnect_attempts": 1}),
                timeout=self.config.connect_timeout * 2 + 1,
            )
            self._nc.options["allow_reconnect"] = True
            self._nc.options["max_reconnect_attempts"] = -1
            self._js = self._nc.jetstream(timeout=max(5.0, self.config.connect_timeout))
            await self._ensure_streams()
        except Exception as exc:  # nats-py, nkeys, ssl and socket errors alike: exit 3
            await self.close()
            raise BusUnavailable(
                f"NATS at {self.config.display} {_connect_failure(exc)}",
                hint=_connect_hint(exc),
            ) from None

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(
            cafile=str(self.config.tls_ca) if self.config.tls_ca else None
        )
        if self.config.tls_cert is not None:
            context.load_cert_chain(
                str(self.config.tls_cert),
                str(self.config.tls_key) if self.config.tls_key else None,
            )
        return context

    async def _ensure_streams(self) -> None:
        from nats.js.api import (
            ConsumerConfig,
            RetentionPolicy,
            StorageType,
            StreamConfig,
        )
        from nats.js.errors import NotFoundError

        prefix = self.config.prefix
        wanted = [
            StreamConfig(
                name=JOBS_STREAM,
                subjects=[f"{prefix}.*.command.>"],
                retention=RetentionPolicy.WORK_QUEUE,
                storage=StorageType.FILE,
                duplicate_window=DUPLICATE_WINDOW,
            ),
            StreamConfig(
                name=RESULTS_STREAM,
                subjects=[f"{prefix}.*.results.>", f"{prefix}.*.deadletter.>"],
                storage=StorageType.FILE,
                duplicate_window=DUPLICATE_WINDOW,
            ),
            StreamConfig(
                name=AUDIT_STREAM,
                subjects=[audit_subject(prefix)],
                retention=RetentionPolicy.LIMITS,
                storage=StorageType.FILE,
                duplicate_window=DUPLICATE_WINDOW,
            ),
            StreamConfig(
                name=METRICS_STREAM,
                subjects=[f"{prefix}.*.metrics.security"],
                storage=StorageType.FILE,
            ),
        ]
        for config in wanted:
            try:
                await self._js.stream_info(config.name)
            except NotFoundError:
                await self._js.add_stream(config)
        try:
            self._kv = await self._js.key_value(STATUS_BUCKET)
        except Exception:  # nats-py raises BucketNotFoundError or NotFoundError by version
            self._kv = await self._js.create_key_value(bucket=STATUS_BUCKET, storage="file")
        try:
            self._obs = await self._js.object_store(PAYLOAD_BUCKET)
        except Exception:
            self._obs = await self._js.create_object_store(PAYLOAD_BUCKET, storage="file")
        self._consumer_config = ConsumerConfig(
            durable_name=self._durable(),
            ack_wait=self.ack_wait,
            # One delivery more than a worker's attempts, so a job whose worker died on its
            # last attempt is still seen and dead-lettered instead of silently dropped.
            max_deliver=self.max_deliver + 1,
            filter_subject=self._filter(),
        )

    def _filter(self) -> str:
        if not self.subjects:
            return f"{self.config.prefix}.*.command.>"
        if len(self.subjects) > 1:
            raise BusUnavailable("one --subjects filter per worker (JetStream 2.9)")
        return self.subjects[0]

    def _durable(self) -> str:
        if not self.subjects:
            return DURABLE
        import hashlib

        return DURABLE + "-" + hashlib.sha256(self._filter().encode()).hexdigest()[:10]

    async def close(self) -> None:
        if self._nc is not None:
            with contextlib.suppress(Exception):  # a broken connection: nothing to release
                await self._nc.close()
            self._nc = None

    async def put_payload(self, name: str, data: bytes) -> None:
        from nats.js.errors import NotFoundError, ObjectNotFoundError

        try:
            await self._obs.get_info(name)
            return
        except (NotFoundError, ObjectNotFoundError):
            pass
        await self._obs.put(name, data)

    async def get_payload(self, name: str) -> bytes:
        from nats.js.errors import NotFoundError, ObjectNotFoundError

        try:
            result = await self._obs.get(name)
        except (NotFoundError, ObjectNotFoundError):
            raise BusUnavailable(f"payload {name} is missing from the object store") from None
        return bytes(result.data or b"")

    async def submit(self, job: Job) -> bool:
        ack = await self._js.publish(
            job.subject(self.config.prefix),
            job.encode(),
            stream=JOBS_STREAM,
            headers={"Nats-Msg-Id": job.id},
        )
        return not bool(getattr(ack, "duplicate", False))

    async def deliveries(self, batch: int, timeout: float) -> list[Delivery]:
        from nats.errors import TimeoutError as NatsTimeout

        if self._sub is None:
            from nats.js.errors import BadRequestError

            try:
                self._sub = await self._js.pull_subscribe(
                    self._filter(),
                    durable=self._durable(),
                    stream=JOBS_STREAM,
                    config=self._consumer_config,
                )
            except BadRequestError as exc:
                # A work-queue stream gives each subject to one consumer only: workers with
                # overlapping --subjects filters (or one with and one without) cannot coexist.
                raise BusUnavailable(
                    f"worker consumer {self._durable()} ({self._filter()}) cannot be created "
                    f"on {self.config.display}: {exc.description or exc}",
                    hint="every worker of a group takes the same --subjects (or none); groups "
                    "need filters that do not overlap. Remove a consumer that is no longer "
                    f"wanted with: nats consumer rm {JOBS_STREAM} NAME",
                ) from None
        try:
            msgs = await self._sub.fetch(batch, timeout=timeout)
        except (NatsTimeout, TimeoutError):
            return []
        return [NatsDelivery(m) for m in msgs]

    async def set_status(self, status: JobStatus) -> None:
        await self._kv.put(
            status.job_id, canonical({**status.to_json(), "resultRef": status.result_ref})
        )

    async def status(self, job_id: str) -> JobStatus | None:
        try:
            entry = await self._kv.get(job_id)
        except Exception:  # KeyNotFoundError / KeyDeletedError
            return None
        return status_of(bytes(entry.value or b""))

    async def statuses(self) -> list[JobStatus]:
        try:
            keys = await self._kv.keys()
        except Exception:  # NoKeysError: an empty bucket
            return []
        found = [await self.status(key) for key in sorted(keys)]
        return [s for s in found if s is not None]

    async def publish_result(self, result: JobResult) -> str:
        ack = await self._js.publish(
            result.subject(self.config.prefix),
            canonical(result.to_json()),
            stream=RESULTS_STREAM,
            headers={"Nats-Msg-Id": f"{result.state.value}:{result.job_id}"},
        )
        return str(ack.seq)

    async def result(self, status: JobStatus) -> JobResult | None:
        if status.result_ref is None:
            return None
        msg = await self._js.get_msg(RESULTS_STREAM, int(status.result_ref))
        return decode_result(bytes(msg.data or b""))

    async def publish_audit(self, chain: str, entries: Sequence[dict[str, Any]]) -> int:
        published = 0
        for entry in entries:
            ack = await self._js.publish(
                audit_subject(self.config.prefix),
                canonical({"chain": chain, **entry}),
                stream=AUDIT_STREAM,
                headers={"Nats-Msg-Id": str(entry["entryHash"])},
            )
            published += 0 if getattr(ack, "duplicate", False) else 1
        return published

    async def audit_copies(self) -> list[AuditCopy]:
        from nats.errors import TimeoutError as NatsTimeout
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        info = await self._js.stream_info(AUDIT_STREAM)
        remaining = int(info.state.messages)
        copies: list[AuditCopy] = []
        if remaining == 0:
            return copies
        sub = await self._js.pull_subscribe(
            audit_subject(self.config.prefix),
            stream=AUDIT_STREAM,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE),
        )
        try:
            while remaining > 0:
                try:
                    msgs = await sub.fetch(min(remaining, 500), timeout=5)
                except (NatsTimeout, TimeoutError):
                    break
                for msg in msgs:
                    copy = audit_copy_of(bytes(msg.data))
                    if copy is not None:
                        copies.append(copy)
                remaining -= len(msgs)
        finally:
            await sub.unsubscribe()
        return copies

    async def publish_metrics(self, subsidiary: str, record: dict[str, Any]) -> None:
        await self._js.publish(
            metrics_subject(subsidiary, self.config.prefix),
            canonical(record),
            stream=METRICS_STREAM,
        )


async def _quiet(exc: Exception) -> None:
    """nats-py prints connection errors by default; seccli reports them itself."""


async def _quiet_event() -> None:
    """Connection state changes are not printed (the URL could carry credentials)."""


def _connect_failure(exc: BaseException) -> str:
    """Why the first connection failed, without any credential."""
    from nats.errors import Error as NatsError

    if _is_auth_failure(exc):
        return f"refused the credentials: {_reason(exc)}"
    if isinstance(exc, ssl.SSLError):
        return f"failed the TLS handshake: {_reason(exc)}"
    if not isinstance(exc, (OSError, TimeoutError, NatsError)):
        # An unreadable seed or creds file (nkeys/nacl errors): the text could quote the key.
        return f"could not use the credentials given ({type(exc).__name__})"
    return f"unreachable: {_reason(exc)}"


def _connect_hint(exc: BaseException) -> str:
    if _is_auth_failure(exc):
        return "check the user/password or token, --creds or --nkey (NATS_CREDS, NATS_NKEY)"
    if isinstance(exc, ssl.SSLError):
        return "check --tls-ca (NATS_CA) and the server certificate's host name"
    return "start nats-server with JetStream (-js), or check --bus/SECCLI_BUS"


def _is_auth_failure(exc: BaseException) -> bool:
    from nats.errors import AuthorizationError

    text = str(exc).lower()
    return isinstance(exc, AuthorizationError) or "authorization violation" in text


def _reason(exc: BaseException) -> str:
    from seccli.core.urls import redact_urls

    text = str(exc) or type(exc).__name__
    return redact_urls(text)
