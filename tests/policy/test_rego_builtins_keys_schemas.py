"""Certificate, key, JWT-with-JWK, JSON Schema and GraphQL builtins (OPA's documented behaviour).

Keys, certificates and tokens are made here with ``cryptography``; nothing comes from files.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from seccli.policy.rego import UNDEFINED, RegoError, compile, to_json

POLICY = compile({})


def call(expr: str, input: Any = UNDEFINED, strict: bool = True) -> Any:
    res = POLICY.eval(f"r := {expr}", input, strict_builtin_errors=strict)
    return to_json(res.bindings[0]["r"]) if res.bindings else UNDEFINED


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert(
    key: Any, cn: str, issuer_key: Any = None, issuer_cn: str | None = None
) -> x509.Certificate:
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn or cn)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"{cn}.example")]), False)
    )
    return builder.sign(issuer_key or key, hashes.SHA256())


def _pem_key(key: Any, fmt: Any = serialization.PrivateFormat.PKCS8) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


KEY = _key()
CA_KEY = _key()
LEAF = _cert(KEY, "leaf", CA_KEY, "ca")
CA = _cert(CA_KEY, "ca")
DER = LEAF.public_bytes(serialization.Encoding.DER)
CHAIN_DER = DER + CA.public_bytes(serialization.Encoding.DER)
PEM_CHAIN = (
    LEAF.public_bytes(serialization.Encoding.PEM) + CA.public_bytes(serialization.Encoding.PEM)
).decode()


# --- crypto.x509.parse_certificates ---------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "names"),
    [
        (base64.b64encode(DER).decode(), ["leaf"]),  # base64 DER
        (base64.b64encode(CHAIN_DER).decode(), ["leaf", "ca"]),  # base64 DER chain
        (PEM_CHAIN, ["leaf", "ca"]),  # PEM chain
        (base64.b64encode(PEM_CHAIN.encode()).decode(), ["leaf", "ca"]),  # base64 PEM
    ],
)
def test_parse_certificates_encodings(text: str, names: list[str]) -> None:
    certs = call("crypto.x509.parse_certificates(input.c)", {"c": text})
    assert [c["Subject"]["CommonName"] for c in certs] == names
    assert certs[0]["DNSNames"] == ["leaf.example"]
    assert base64.b64decode(certs[0]["Raw"]) == DER  # the whole certificate, as Go's Raw


@pytest.mark.parametrize(
    "text",
    [
        "not base64 at all!",
        base64.b64encode(DER[:-10]).decode(),  # truncated
        base64.b64encode(b"\x30\x03abc").decode(),  # a SEQUENCE that is no certificate
    ],
)
def test_parse_certificates_rejects_bad_input(text: str) -> None:
    with pytest.raises(RegoError):
        call("crypto.x509.parse_certificates(input.c)", {"c": text})
    assert call("crypto.x509.parse_certificates(input.c)", {"c": text}, strict=False) is UNDEFINED


# --- keys --------------------------------------------------------------------------------------
def _b64url_int(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_parse_rsa_private_key_gives_a_jwk() -> None:
    for fmt in (serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL):
        jwk = call("crypto.x509.parse_rsa_private_key(input.k)", {"k": _pem_key(KEY, fmt)})
        nums = KEY.private_numbers()
        assert jwk["kty"] == "RSA"
        assert jwk["n"] == _b64url_int(nums.public_numbers.n)
        assert jwk["e"] == "AQAB"
        assert jwk["d"] == _b64url_int(nums.d)
    ec_pem = _pem_key(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(RegoError, match="not an RSA private key"):
        call("crypto.x509.parse_rsa_private_key(input.k)", {"k": ec_pem})


def test_parse_private_keys_reads_several_blocks_and_base64() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    both = _pem_key(KEY) + _pem_key(ec_key)
    for text in (both, base64.b64encode(both.encode()).decode()):
        keys = call("crypto.parse_private_keys(input.k)", {"k": text})
        assert keys[0]["N"] == KEY.private_numbers().public_numbers.n
        assert keys[0]["Primes"] == [KEY.private_numbers().p, KEY.private_numbers().q]
        assert keys[1]["D"] == ec_key.private_numbers().private_value
    assert call('crypto.parse_private_keys("")') is None
    with pytest.raises(RegoError):
        call("crypto.parse_private_keys(input.k)", {"k": "-----BEGIN PRIVATE KEY-----\nAAAA\n"})


def test_parse_keypair_checks_the_key_matches() -> None:
    cert_pem = LEAF.public_bytes(serialization.Encoding.PEM).decode()
    pair = call("crypto.x509.parse_keypair(input.c, input.k)", {"c": cert_pem, "k": _pem_key(KEY)})
    assert base64.b64decode(pair["Certificate"][0]) == DER
    assert pair["Leaf"]["Subject"]["CommonName"] == "leaf"
    assert pair["PrivateKey"]["E"] == 65537
    # base64 DER certificate and base64 PEM key are accepted too
    b64 = {
        "c": base64.b64encode(DER).decode(),
        "k": base64.b64encode(_pem_key(KEY).encode()).decode(),
    }
    assert call("crypto.x509.parse_keypair(input.c, input.k)", b64)["Leaf"]["Version"] == 3
    with pytest.raises(RegoError, match="does not match"):
        call("crypto.x509.parse_keypair(input.c, input.k)", {"c": cert_pem, "k": _pem_key(CA_KEY)})


def test_parse_certificate_request() -> None:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "svc")]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("svc.example")]), False)
        .sign(KEY, hashes.SHA256())
    )
    pem = csr.public_bytes(serialization.Encoding.PEM).decode()
    der_b64 = base64.b64encode(csr.public_bytes(serialization.Encoding.DER)).decode()
    for text in (pem, base64.b64encode(pem.encode()).decode(), der_b64):
        req = call("crypto.x509.parse_certificate_request(input.r)", {"r": text})
        assert req["Subject"]["CommonName"] == "svc"
        assert req["DNSNames"] == ["svc.example"]
    cert_pem = LEAF.public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(RegoError, match="certificate signing request"):
        call("crypto.x509.parse_certificate_request(input.r)", {"r": cert_pem})


# --- io.jwt.verify_ps*/rs*/es* with JWK keys --------------------------------------------------
def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _token(alg: str, key: Any) -> str:
    signing = _b64url(json.dumps({"alg": alg}).encode()) + "." + _b64url(b'{"sub":"x"}')
    h = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[alg[2:]]
    if alg.startswith("PS"):
        sig = key.sign(signing.encode(), padding.PSS(padding.MGF1(h), h.digest_size), h)
    else:
        sig = key.sign(signing.encode(), padding.PKCS1v15(), h)
    return signing + "." + _b64url(sig)


def _rsa_jwk(key: Any) -> dict[str, str]:
    pub = key.public_key().public_numbers()
    return {"kty": "RSA", "n": _b64url_int(pub.n), "e": _b64url_int(pub.e)}


@pytest.mark.parametrize("alg", ["PS256", "PS384", "PS512", "RS256"])
def test_jwt_verify_with_jwk_and_jwk_sets(alg: str) -> None:
    token = _token(alg, KEY)
    fn = f"io.jwt.verify_{alg.lower()}(input.t, input.k)"
    assert call(fn, {"t": token, "k": json.dumps(_rsa_jwk(KEY))}) is True
    jwks = {"keys": [_rsa_jwk(CA_KEY), _rsa_jwk(KEY)]}
    assert call(fn, {"t": token, "k": json.dumps(jwks)}) is True
    assert call(fn, {"t": token, "k": json.dumps(_rsa_jwk(CA_KEY))}) is False
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert call(fn, {"t": tampered, "k": json.dumps(_rsa_jwk(KEY))}) is False


def test_jwt_verify_rejects_malformed_jwk() -> None:
    token = _token("PS256", KEY)
    with pytest.raises(RegoError, match="JWK"):
        call("io.jwt.verify_ps256(input.t, input.k)", {"t": token, "k": '{"kty": "RSA"}'})


# --- json.verify_schema / json.match_schema ---------------------------------------------------
SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


def test_verify_schema() -> None:
    assert call("json.verify_schema(input.s)", {"s": SCHEMA}) == [True, None]
    assert call("json.verify_schema(input.s)", {"s": json.dumps(SCHEMA)}) == [True, None]
    ok, reason = call("json.verify_schema(input.s)", {"s": {"type": 12}})
    assert ok is False and reason
    ok, reason = call('json.verify_schema("{not json")')
    assert ok is False and "JSON" in reason


def test_match_schema() -> None:
    got = call("json.match_schema(input.d, input.s)", {"d": {"name": "a"}, "s": SCHEMA})
    assert got == [True, []]
    ok, errors = call("json.match_schema(input.d, input.s)", {"d": {"name": 1}, "s": SCHEMA})
    assert ok is False
    assert errors[0]["field"] == "name" and errors[0]["type"] == "type"
    ok, errors = call("json.match_schema(input.d, input.s)", {"d": {}, "s": json.dumps(SCHEMA)})
    assert ok is False and errors[0]["field"] == "(root)"


def test_match_schema_never_fetches_remote_references() -> None:
    schema = {"$ref": "http://127.0.0.1:9/schema.json"}
    with pytest.raises(RegoError, match="invalid schema"):
        call("json.match_schema(input.d, input.s)", {"d": {}, "s": schema})
    assert call("json.verify_schema(input.s)", {"s": schema})[0] is False


# --- graphql.* --------------------------------------------------------------------------------
GQL_SCHEMA = "type Query { user(id: ID!): User }\ntype User { id: ID!, name: String }"


def test_graphql_validity() -> None:
    good = '{ user(id: "1") { name } }'
    assert call("graphql.is_valid(input.q, input.s)", {"q": good, "s": GQL_SCHEMA}) is True
    assert call("graphql.is_valid(input.q, input.s)", {"q": "{ nope }", "s": GQL_SCHEMA}) is False
    assert call("graphql.is_valid(input.q, input.s)", {"q": "{ user(", "s": GQL_SCHEMA}) is False
    assert call("graphql.schema_is_valid(input.s)", {"s": GQL_SCHEMA}) is True
    assert call('graphql.schema_is_valid("type Query { a: Missing }")') is False
    both = {"q": good, "s": GQL_SCHEMA}
    ok, query, schema = call("graphql.parse_and_verify(input.q, input.s)", both)
    assert ok is True and query["kind"] == "document" and schema["kind"] == "document"
    assert call("graphql.parse_and_verify(input.q, input.s)", {"q": "{ x }", "s": GQL_SCHEMA}) == [
        False,
        {},
        {},
    ]


def test_graphql_parse_errors() -> None:
    query = call('graphql.parse_query("{ a { b } }")')
    assert query["definitions"][0]["kind"] == "operation_definition"
    assert call("graphql.parse_schema(input.s)", {"s": GQL_SCHEMA})["kind"] == "document"
    with pytest.raises(RegoError, match="GraphQL"):
        call('graphql.parse("{ nope }", input.s)', {"s": GQL_SCHEMA})
    with pytest.raises(RegoError, match="GraphQL parse error"):
        call('graphql.parse_query("{ a ")')
