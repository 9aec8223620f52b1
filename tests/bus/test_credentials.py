"""Credentials as the NATS tools take them, against a real nats-server: user/password and token
(in the URL or NATS_USER/NATS_PASSWORD/NATS_TOKEN), an NKey seed file (--nkey/NATS_NKEY), a
.creds file in operator (JWT) mode (--creds/NATS_CREDS) and TLS with a throwaway CA
(--tls-ca/NATS_CA). Each runs a job end to end; wrong credentials are exit 3 with a clear
message; the secret is never in output, in the state databases, the audit log or a traceback."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.bus.conftest import NATS_SERVER, NatsServer, free_port
from tests.bus.test_faults import SECCLI, cli

pytestmark = pytest.mark.skipif(NATS_SERVER is None, reason="nats-server is not installed")


def configured_server(tmp_path: Path, body: str) -> NatsServer:
    """A nats-server with a configuration file (flags set listen address, port and store)."""
    config = tmp_path / "server.conf"
    config.write_text(body)
    return NatsServer(tmp_path / "js", free_port(), ("-c", str(config)))


@pytest.fixture()
def server_for(tmp_path: Path) -> Iterator[list[NatsServer]]:
    started: list[NatsServer] = []
    yield started
    for server in started:
        server.stop()


def start(started: list[NatsServer], server: NatsServer) -> NatsServer:
    server.start()
    started.append(server)
    return server


def worker(cwd: Path, url: str, *extra: str, env: dict[str, str]) -> subprocess.Popen[str]:
    merged = {k: v for k, v in os.environ.items() if k != "SECCLI_BUS"}
    merged.update({"SECCLI_STORE": str(cwd / "worker-state.db"), **env})
    return subprocess.Popen(
        [str(SECCLI), "worker", "--bus", url, *extra],
        cwd=cwd,
        env=merged,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_a_job(
    cwd: Path, url: str, *options: str, env: dict[str, str] | None = None
) -> dict[str, object]:
    """A worker and ``submit --wait`` of a no-op job, both with ``options``: the job's result."""
    cwd.mkdir(exist_ok=True)
    running = worker(cwd, url, *options, "--max-jobs", "1", "--idle-exit", "20", env=env or {})
    try:
        submitted = cli(
            "submit",
            "--bus",
            url,
            *options,
            "--wait",
            "--timeout",
            "60",
            "--format",
            "json",
            "noop",
            cwd=cwd,
            env=env,
        )
        assert submitted.returncode == 0, submitted.stderr
        _out, worker_err = running.communicate(timeout=60)
    finally:
        if running.poll() is None:
            running.kill()
            running.wait()
    assert running.returncode == 0 and "1 done" in worker_err, worker_err
    result = dict(json.loads(submitted.stdout))
    assert result["state"] == "done" and result["exitCode"] == 0
    return {**result, "_texts": submitted.stdout + submitted.stderr + worker_err}


def job_known(cwd: Path, url: str, job: object, *options: str, env: dict[str, str]) -> str:
    """``jobs status`` with credentials from ``options``/``env`` sees the job as done."""
    cwd.mkdir(exist_ok=True)
    listed = cli("jobs", "status", "--bus", url, *options, "--format", "json", cwd=cwd, env=env)
    assert listed.returncode == 0, listed.stderr
    states = {j["jobId"]: j["state"] for j in json.loads(listed.stdout)["jobs"]}
    assert states.get(str(job)) == "done", states
    return listed.stdout + listed.stderr


def assert_refused(cwd: Path, url: str, *options: str, env: dict[str, str] | None = None) -> str:
    started = time.monotonic()
    done = cli("submit", "--bus", url, *options, "noop", cwd=cwd, env=env)
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert time.monotonic() - started < 15
    return done.stdout + done.stderr


def assert_nowhere(secret: str, cwd: Path, texts: str, holders: tuple[Path, ...] = ()) -> None:
    """``secret`` is in none of ``texts`` nor in any file under ``cwd`` (databases, audit
    logs, marks) except the ``holders`` that were written to hold it."""
    assert secret not in texts
    needle = secret.encode()
    for path in cwd.rglob("*"):
        if path.is_file() and path not in holders:
            assert needle not in path.read_bytes(), f"{secret[:4]}... leaked into {path}"


def test_user_and_password_in_the_url_and_from_the_environment(
    server_for: list[NatsServer], tmp_path: Path
) -> None:
    password = "pw-" + secrets.token_hex(12)
    server = start(
        server_for,
        configured_server(tmp_path, f'authorization {{ user: alice, password: "{password}" }}\n'),
    )
    host = f"127.0.0.1:{server.port}"
    result = run_a_job(tmp_path, f"nats://alice:{password}@{host}")
    env = {"NATS_USER": "alice", "NATS_PASSWORD": password}
    second = job_known(tmp_path / "env", f"nats://{host}", result["jobId"], env=env)
    wrong = assert_refused(tmp_path, f"nats://alice:not-{password}@{host}")
    assert "refused the credentials" in wrong and "Authorization Violation" in wrong
    missing = assert_refused(tmp_path, f"nats://{host}")
    assert "refused the credentials" in missing
    wrong_env = assert_refused(
        tmp_path, f"nats://{host}", env={"NATS_USER": "alice", "NATS_PASSWORD": "x" + password}
    )
    texts = str(result) + str(second) + wrong + missing + wrong_env
    assert_nowhere(password, tmp_path, texts, holders=(tmp_path / "server.conf",))


def test_a_token_in_the_url_and_from_the_environment(
    server_for: list[NatsServer], tmp_path: Path
) -> None:
    token = "tok-" + secrets.token_hex(16)
    server = start(
        server_for, configured_server(tmp_path, f'authorization {{ token: "{token}" }}\n')
    )
    host = f"127.0.0.1:{server.port}"
    result = run_a_job(tmp_path, f"nats://{token}@{host}")
    second = job_known(
        tmp_path / "env", f"nats://{host}", result["jobId"], env={"NATS_TOKEN": token}
    )
    as_user = job_known(
        tmp_path / "user-env", f"nats://{host}", result["jobId"], env={"NATS_USER": token}
    )
    wrong = assert_refused(tmp_path, f"nats://{token[::-1]}@{host}")
    assert "refused the credentials" in wrong
    assert token[::-1] not in wrong
    assert_nowhere(
        token,
        tmp_path,
        str(result) + str(second) + str(as_user) + wrong,
        (tmp_path / "server.conf",),
    )


def user_nkey() -> tuple[str, str]:
    """A fresh user NKey: (seed, public key)."""
    import nkeys

    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    pair = nkeys.from_seed(bytearray(seed))
    return bytes(seed).decode(), pair.public_key.decode()


def test_an_nkey_seed_file_by_option_and_environment(
    server_for: list[NatsServer], tmp_path: Path
) -> None:
    seed, public = user_nkey()
    server = start(
        server_for,
        configured_server(tmp_path, f"authorization {{ users: [{{ nkey: {public} }}] }}\n"),
    )
    url = f"nats://127.0.0.1:{server.port}"
    seed_file = tmp_path / "user.nk"
    seed_file.write_text(seed + "\n")
    result = run_a_job(tmp_path, url, "--nkey", str(seed_file))
    second = job_known(tmp_path / "env", url, result["jobId"], env={"NATS_NKEY": str(seed_file)})
    other_seed, _ = user_nkey()
    other = tmp_path / "other.nk"
    other.write_text(other_seed)
    wrong = assert_refused(tmp_path, url, "--nkey", str(other))
    assert "refused the credentials" in wrong
    garbage = tmp_path / "garbage.nk"
    garbage.write_text("SUnot-a-seed-" + secrets.token_hex(8))
    unusable = assert_refused(tmp_path, url, "--nkey", str(garbage))
    assert "could not use the credentials" in unusable
    absent = cli("submit", "--bus", url, "--nkey", str(tmp_path / "nope.nk"), "noop", cwd=tmp_path)
    assert (
        absent.returncode == 2
        and "--nkey file" in absent.stderr
        and "does not exist" in absent.stderr
    )
    for secret in (seed, other_seed, garbage.read_text()):
        assert_nowhere(
            secret,
            tmp_path,
            str(result) + str(second) + wrong + unusable,
            holders=(seed_file, other, garbage),
        )


# --- operator (JWT) mode: a .creds file -----------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(signer_seed: str, claims: dict[str, object]) -> str:
    """A NATS JWT (header ``ed25519-nkey``), signed by ``signer_seed``'s key."""
    import nkeys

    signer = nkeys.from_seed(bytearray(signer_seed.encode()))
    body = {
        "jti": base64.b32encode(os.urandom(30)).decode().rstrip("="),
        "iat": int(time.time()),
        "iss": signer.public_key.decode(),
        **claims,
    }
    header = _b64(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    payload = _b64(json.dumps(body).encode())
    signature = _b64(signer.sign(f"{header}.{payload}".encode()))
    return f"{header}.{payload}.{signature}"


def _nkey(prefix: int) -> tuple[str, str]:
    import nkeys

    seed = nkeys.encode_seed(os.urandom(32), prefix)
    return bytes(seed).decode(), nkeys.from_seed(bytearray(seed)).public_key.decode()


def operator_setup(tmp_path: Path) -> tuple[str, Path, str]:
    """A server configuration for operator mode with one JetStream-enabled account, and a
    .creds file (user JWT + seed) for a user of it; (config, creds file, user seed)."""
    import nkeys

    op_seed, op_pub = _nkey(nkeys.PREFIX_BYTE_OPERATOR)
    acc_seed, acc_pub = _nkey(nkeys.PREFIX_BYTE_ACCOUNT)
    user_seed, user_pub = _nkey(nkeys.PREFIX_BYTE_USER)
    _sys_seed, sys_pub = _nkey(nkeys.PREFIX_BYTE_ACCOUNT)
    operator = _jwt(
        op_seed, {"sub": op_pub, "name": "op", "nats": {"type": "operator", "version": 2}}
    )
    unlimited = {
        "subs": -1,
        "data": -1,
        "payload": -1,
        "imports": -1,
        "exports": -1,
        "wildcards": True,
        "conn": -1,
        "leaf": -1,
        "mem_storage": -1,
        "disk_storage": -1,
        "streams": -1,
        "consumer": -1,
    }
    account = _jwt(
        op_seed,
        {
            "sub": acc_pub,
            "name": "seccli",
            "nats": {"limits": unlimited, "type": "account", "version": 2},
        },
    )
    system = _jwt(
        op_seed, {"sub": sys_pub, "name": "SYS", "nats": {"type": "account", "version": 2}}
    )
    user = _jwt(
        acc_seed,
        {
            "sub": user_pub,
            "name": "worker",
            "nats": {
                "pub": {},
                "sub": {},
                "subs": -1,
                "data": -1,
                "payload": -1,
                "type": "user",
                "version": 2,
            },
        },
    )
    creds = tmp_path / "worker.creds"
    creds.write_text(
        f"-----BEGIN NATS USER JWT-----\n{user}\n------END NATS USER JWT------\n\n"
        f"-----BEGIN USER NKEY SEED-----\n{user_seed}\n------END USER NKEY SEED------\n"
    )
    config = (
        f"operator: {operator}\n"
        f"system_account: {sys_pub}\n"
        "resolver: MEMORY\n"
        f"resolver_preload: {{ {acc_pub}: {account}, {sys_pub}: {system} }}\n"
    )
    return config, creds, user_seed


def test_a_creds_file_in_operator_mode(server_for: list[NatsServer], tmp_path: Path) -> None:
    config, creds, user_seed = operator_setup(tmp_path)
    server = start(server_for, configured_server(tmp_path, config))
    url = f"nats://127.0.0.1:{server.port}"
    result = run_a_job(tmp_path, url, "--creds", str(creds))
    second = job_known(tmp_path / "env", url, result["jobId"], env={"NATS_CREDS": str(creds)})
    other_config, other_creds, other_seed = operator_setup(tmp_path / "env")
    del other_config  # a user of another operator: signed, but not trusted by this server
    wrong = assert_refused(tmp_path, url, "--creds", str(other_creds))
    assert "refused the credentials" in wrong
    none = assert_refused(tmp_path, url)
    assert "refused the credentials" in none
    for secret in (user_seed, other_seed):
        assert_nowhere(
            secret, tmp_path, str(result) + str(second) + wrong + none, holders=(creds, other_creds)
        )


# --- TLS with a throwaway CA ------------------------------------------------------------------


def make_ca_and_server_cert(folder: Path) -> tuple[Path, Path, Path]:
    """A self-signed CA and a server certificate for 127.0.0.1/localhost it issued; (CA
    certificate, server certificate, server key) as PEM files."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "seccli test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


def test_tls_with_the_ca_by_option_and_environment(
    server_for: list[NatsServer], tmp_path: Path
) -> None:
    ca, cert, key = make_ca_and_server_cert(tmp_path / "pki")
    token = "tls-" + secrets.token_hex(12)
    server = start(
        server_for,
        configured_server(
            tmp_path,
            f'tls {{ cert_file: "{cert}", key_file: "{key}" }}\n'
            f'authorization {{ token: "{token}" }}\n',
        ),
    )
    url = f"tls://{token}@127.0.0.1:{server.port}"
    result = run_a_job(tmp_path, url, "--tls-ca", str(ca))
    second = job_known(tmp_path / "env", url, result["jobId"], env={"NATS_CA": str(ca)})
    # Without the CA the server's certificate is not trusted: a TLS failure, not a hang.
    untrusted = assert_refused(tmp_path, url)
    assert "TLS handshake" in untrusted and "CERTIFICATE_VERIFY_FAILED" in untrusted
    other_ca, _, _ = make_ca_and_server_cert(tmp_path / "other-pki")
    wrong_ca = assert_refused(tmp_path, url, "--tls-ca", str(other_ca))
    assert "TLS handshake" in wrong_ca
    # Plain text to a server that requires TLS is refused too.
    plain = assert_refused(tmp_path, f"nats://{token}@127.0.0.1:{server.port}")
    texts = str(result) + str(second) + untrusted + wrong_ca + plain
    assert_nowhere(token, tmp_path, texts, holders=(tmp_path / "server.conf",))
    key_text = key.read_text().splitlines()[1]
    assert_nowhere(key_text, tmp_path, texts, holders=(key,))


def test_credential_files_that_are_missing_or_not_regular_are_input_errors(tmp_path: Path) -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    for option in ("--creds", "--nkey", "--tls-ca"):
        missing = cli(
            "submit", "--bus", url, option, str(tmp_path / "absent"), "noop", cwd=tmp_path
        )
        assert missing.returncode == 2 and f"{option} file" in missing.stderr
        folder = cli("submit", "--bus", url, option, str(tmp_path), "noop", cwd=tmp_path)
        assert folder.returncode == 2 and "not a regular file" in folder.stderr
    env_missing = cli(
        "jobs", "status", "--bus", url, cwd=tmp_path, env={"NATS_CREDS": str(tmp_path / "x")}
    )
    assert env_missing.returncode == 2 and "--creds file" in env_missing.stderr
    local = cli("jobs", "status", cwd=tmp_path, env={"NATS_CREDS": str(tmp_path / "x")})
    assert local.returncode == 0, "the local bus needs no credentials and ignores NATS_*"
