"""HTTP actions: a plain request, a Slack-compatible notification, a PagerDuty page, a ticket.

URLs come from configuration (named endpoints), never from the playbook; requests have a time
limit, follow no redirects, and any answer outside 2xx is a failure. Credentials are
``Secret`` values sent in headers or bodies and never copied into outputs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from seccli.core.atomic import atomic_write_bytes
from seccli.core.clock import utc_iso
from seccli.core.hashing import canonical_json, sha256_hex
from seccli.soar.interface import Action, ActionArgs, ActionContext, ActionFailed, SoarConfig

if TYPE_CHECKING:
    import urllib3

_POOL: urllib3.PoolManager | None = None


def _pool() -> urllib3.PoolManager:
    global _POOL
    if _POOL is None:
        import urllib3

        _POOL = urllib3.PoolManager(retries=False, maxsize=8)
    return _POOL


def send(
    ctx: ActionContext,
    endpoint_name: str,
    method: str,
    body: Any,
    *,
    path: str = "",
    headers: dict[str, str] | None = None,
    bearer: bool = True,
) -> dict[str, Any]:
    """Send ``body`` as JSON to a configured endpoint; ``{"status": N}`` for a 2xx answer."""
    import urllib3

    endpoint = ctx.config.endpoints.get(endpoint_name)
    if endpoint is None:
        raise ActionFailed(f"endpoint {endpoint_name!r} is not configured", kind="config")
    url = endpoint.url.rstrip("/") + path if path else endpoint.url
    sent = {"Content-Type": "application/json", "Idempotency-Key": ctx.idempotency_key}
    if bearer and endpoint.token is not None:
        sent["Authorization"] = f"Bearer {endpoint.token.reveal()}"
    sent.update(headers or {})
    data = json.dumps(body, sort_keys=True).encode() if body is not None else None
    timeout = ctx.remaining(ctx.config.http_timeout)
    try:
        response = _pool().request(
            method,
            url,
            body=data,
            headers=sent,
            redirect=False,
            retries=False,
            timeout=urllib3.Timeout(total=timeout),
            preload_content=True,
        )
    except urllib3.exceptions.NewConnectionError:
        raise ActionFailed(f"{endpoint_name}: connection refused", kind="unreachable") from None
    except urllib3.exceptions.TimeoutError:
        raise ActionFailed(
            f"{endpoint_name}: no answer within {timeout:.1f}s", kind="timeout"
        ) from None
    except urllib3.exceptions.HTTPError as exc:
        raise ActionFailed(
            f"{endpoint_name}: unreachable ({type(exc).__name__})", kind="unreachable"
        ) from None
    if not 200 <= response.status < 300:
        raise ActionFailed(
            f"{endpoint_name}: answered HTTP {response.status}",
            kind="http",
            status=response.status,
        )
    return {"status": response.status, "endpoint": endpoint_name}


class HttpArgs(ActionArgs):
    endpoint: str
    """A configured endpoint name (the URL comes from configuration)."""
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    path: str = Field(default="", pattern=r"^(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?$")
    """Appended to the endpoint's URL."""
    body: Any = None
    """Sent as JSON."""


class HttpAction(Action[HttpArgs]):
    name = "http.request"
    summary = "send a JSON request to a configured endpoint (2xx is success)"
    args_model = HttpArgs

    def describe(self, args: HttpArgs, config: SoarConfig) -> str:
        return f"{args.method} endpoint {args.endpoint}{args.path} with a JSON body"

    def execute(self, args: HttpArgs, ctx: ActionContext) -> dict[str, Any]:
        return send(ctx, args.endpoint, args.method, args.body, path=args.path)


def _team_ids(config: SoarConfig) -> set[str] | None:
    return None if config.org is None else {team.id for team in config.org.teams}


class NotifyArgs(ActionArgs):
    team: str
    """The org team told (its id)."""
    message: str
    endpoint: str = "chat"
    """The configured webhook (Slack-compatible)."""


class NotifyAction(Action[NotifyArgs]):
    name = "notify.team"
    summary = "post a Slack-compatible message for a team to a webhook"
    args_model = NotifyArgs

    def describe(self, args: NotifyArgs, config: SoarConfig) -> str:
        return f"notify team {args.team} via {args.endpoint}: {args.message}"

    def execute(self, args: NotifyArgs, ctx: ActionContext) -> dict[str, Any]:
        body = {
            "text": f"[{args.team}] {args.message}",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": args.message}},
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": f"seccli run {ctx.run_id}"}],
                },
            ],
        }
        return {**send(ctx, args.endpoint, "POST", body), "team": args.team}

    def check(self, args: NotifyArgs, config: SoarConfig) -> list[str]:
        teams = _team_ids(config)
        if teams is not None and "${" not in args.team and args.team not in teams:
            return [f"team {args.team!r} is not in the org model"]
        return []


class PageArgs(ActionArgs):
    subdomain: str
    """The estate subdomain whose on-call is paged."""
    summary: str
    severity: Literal["critical", "error", "warning", "info"] = "critical"
    endpoint: str = "pagerduty"
    """The configured Events API v2 URL; its token is the routing key."""


class PageAction(Action[PageArgs]):
    name = "oncall.page"
    summary = "page whoever the org model has on call (PagerDuty Events API v2)"
    args_model = PageArgs

    def describe(self, args: PageArgs, config: SoarConfig) -> str:
        return f"page on-call of subdomain {args.subdomain} ({args.severity}): {args.summary}"

    def execute(self, args: PageArgs, ctx: ActionContext) -> dict[str, Any]:
        from seccli.org.oncall import OnCallIndex, who_now

        if ctx.config.org is None:
            raise ActionFailed("no org model to find who is on call", kind="config")
        try:
            answer = who_now(OnCallIndex(ctx.config.org), args.subdomain, ctx.clock)
        except (KeyError, ValueError, LookupError) as exc:
            raise ActionFailed(f"no on-call for {args.subdomain}: {exc}", kind="config") from None
        person = answer.primary.person if answer.primary else None
        if person is None:
            raise ActionFailed(f"nobody is on call for {args.subdomain} now", kind="no-oncall")
        endpoint = ctx.config.endpoints.get(args.endpoint)
        routing = endpoint.token.reveal() if endpoint and endpoint.token else ""
        body = {
            "routing_key": routing,
            "event_action": "trigger",
            "dedup_key": sha256_hex(ctx.idempotency_key)[:32],
            "payload": {
                "summary": args.summary,
                "source": "seccli",
                "severity": args.severity,
                "timestamp": utc_iso(ctx.clock.now()),
                "custom_details": {"subdomain": args.subdomain, "oncall": person},
            },
        }
        result = send(ctx, args.endpoint, "POST", body, bearer=False)
        return {**result, "oncall": person, "squad": answer.squad}

    def check(self, args: PageArgs, config: SoarConfig) -> list[str]:
        if (
            config.estate is not None
            and "${" not in args.subdomain
            and args.subdomain not in {s.name for s in config.estate.subdomains}
        ):
            return [f"subdomain {args.subdomain!r} is not in the estate"]
        return []


class TicketArgs(ActionArgs):
    title: str
    body: str = ""
    labels: list[str] = Field(default_factory=list)
    endpoint: str | None = None
    """A configured URL taking GitHub-issues JSON; without one the ticket is a file."""


class TicketAction(Action[TicketArgs]):
    name = "ticket.open"
    summary = "open a ticket (GitHub-issues JSON to an endpoint, or a file)"
    args_model = TicketArgs

    def describe(self, args: TicketArgs, config: SoarConfig) -> str:
        where = f"endpoint {args.endpoint}" if args.endpoint else f"{config.workdir}/tickets/"
        return f"open ticket {args.title!r} at {where}"

    def execute(self, args: TicketArgs, ctx: ActionContext) -> dict[str, Any]:
        issue = {"title": args.title, "body": args.body, "labels": sorted(args.labels)}
        if args.endpoint:
            return send(ctx, args.endpoint, "POST", issue)
        folder = ctx.config.workdir / "tickets"
        name = sha256_hex(ctx.idempotency_key)[:16] + ".json"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(folder / name, canonical_json(issue) + b"\n")
        except OSError as exc:
            raise ActionFailed(f"cannot write the ticket: {exc.strerror}") from None
        return {"file": str(folder / name)}
