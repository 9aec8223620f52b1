"""Jobs are named by their content; a message that is not a job is refused with its reason."""

from __future__ import annotations

import json

import pytest

from seccli.bus.model import FileRef, Job, JobVerb, MalformedJob, decode_job
from seccli.core.errors import InputError


def test_the_same_work_is_the_same_job() -> None:
    a = Job(JobVerb.POLICY_TEST, ("tree", "--format", "json"), (FileRef(0, "tree", "sha256-a", 3),))
    b = Job(JobVerb.POLICY_TEST, ("tree", "--format", "json"), (FileRef(0, "tree", "sha256-a", 3),))
    assert a.id == b.id and a.id.startswith("job-")


@pytest.mark.parametrize(
    "other",
    [
        Job(JobVerb.SCAN, ("tree", "--format", "json"), (FileRef(0, "tree", "sha256-a", 3),)),
        Job(JobVerb.POLICY_TEST, ("tree",), (FileRef(0, "tree", "sha256-a", 3),)),
        Job(
            JobVerb.POLICY_TEST, ("tree", "--format", "json"), (FileRef(0, "tree", "sha256-b", 3),)
        ),
        Job(
            JobVerb.POLICY_TEST,
            ("tree", "--format", "json"),
            (FileRef(0, "tree", "sha256-a", 3),),
            subsidiary="claytomsystems",
        ),
    ],
)
def test_different_work_is_a_different_job(other: Job) -> None:
    base = Job(
        JobVerb.POLICY_TEST, ("tree", "--format", "json"), (FileRef(0, "tree", "sha256-a", 3),)
    )
    assert other.id != base.id


def test_subjects_follow_the_organisation_scheme() -> None:
    job = Job(JobVerb.IMAGES_VERIFY, ("nginx:1",), subsidiary="claytomsystems")
    assert job.subject() == "org.claytom.claytomsystems.command.images.verify"
    assert Job(JobVerb.SCAN, ()).subject() == "org.claytom.holding.command.scan"


@pytest.mark.parametrize("subsidiary", ["", "Upper", "a.b", "a*", "a>", "x" * 70, "a b"])
def test_a_subsidiary_must_be_one_subject_token(subsidiary: str) -> None:
    with pytest.raises(InputError):
        Job(JobVerb.NOOP, (), subsidiary=subsidiary)


def test_a_job_survives_its_encoding() -> None:
    job = Job(JobVerb.SCAN, ("repo", "-t", "bandit"), (FileRef(0, "repo", "sha256-x", 10),))
    assert decode_job(job.encode()) == job


def _body(**changes: object) -> bytes:
    data = Job(JobVerb.SCAN, ("repo",), (FileRef(0, "repo", "sha256-x", 10),)).to_json()
    data.update(changes)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "job message"),
        (b"\xff\xfe", "job message"),
        (b"[1, 2]", "not a Job"),
        (b'{"kind": "Job", "kind": "Job"}', "duplicate"),
        (_body(kind="Pod"), "not a Job"),
        (_body(apiVersion="v0"), "apiVersion"),
        (_body(verb="rm"), "unknown verb"),
        (_body(args="repo"), "args"),
        (_body(args=[1]), "args"),
        (_body(files=[{"argument": 5, "name": "x", "object": "o", "size": 1}]), "out of range"),
        (_body(files=[{"argument": 0}]), "files"),
        (_body(id="job-forged"), "id does not match"),
        (_body(subsidiary="a.b"), "subject token"),
        (b"{" * 10000, "job message"),
    ],
)
def test_malformed_messages_are_refused_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedJob) as caught:
        decode_job(body)
    assert reason in caught.value.message
