"""Units, semver, crypto hashes and HMAC, JWT decoding and verification, UUIDs, runtime helpers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from seccli.policy.rego.budget import MAX_INT_DIGITS, json_loads, number_too_large
from seccli.policy.rego.builtins.base import builtin, fail, string, table
from seccli.policy.rego.values import UNDEF

# -- units -----------------------------------------------------------------------------------
_SI = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15, "e": 10**18}
_BIN = {"ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40, "pi": 2**50, "ei": 2**60}


def _dec_to_num(d: Decimal) -> Any:
    _check_digits(d)
    if d == d.to_integral_value():
        return int(d)
    return float(d)


def _check_digits(d: Decimal) -> None:
    """Abort for an amount whose integer part has more digits than the engine converts
    (``int()`` of ``1e999999999`` would build a billion-digit number)."""
    if d.adjusted() >= MAX_INT_DIGITS:
        raise number_too_large(d.adjusted() + 1)


def _split_amount(raw: str, name: str) -> tuple[Decimal, str]:
    if " " in raw:
        raise fail("spaces not allowed in resource strings")
    x = raw.strip('"')
    if not x:
        raise fail("no amount provided")
    m = re.match(r"^[0-9.eE+-]*", x)
    raw_num = m.group(0) if m else ""
    if not raw_num:
        raise fail("no amount provided")
    num = raw_num
    # a trailing exponent marker belongs to the unit (1E = 1 exa), not the number
    while num and num[-1] in "eE+-" and not re.fullmatch(r"[0-9.]*[eE][+-]?[0-9]+", num):
        num = num[:-1]
    if not num:
        if len(raw_num) > 1 or raw_num in ("+", "-"):
            raise fail("could not parse amount to a number")
        raise fail("no amount provided")
    rest = x[len(num) :]
    if rest[:1] in ("+", "-") or (rest[:1] in "eE" and rest[1:2] in ("+", "-")):
        raise fail("could not parse amount to a number")
    try:
        n = Decimal(num)
    except InvalidOperation:
        raise fail("could not parse amount to a number") from None
    if not n.is_finite():
        raise fail("could not parse amount to a number")
    _check_digits(n)
    return n, rest


def _units_parse(s: Any) -> Any:
    n, unit = _split_amount(string(s, 1), "units.parse")
    if unit == "m":
        return _dec_to_num(n / 1000)
    if unit == "M":
        return _dec_to_num(n * 10**6)
    u = unit.lower()
    if u in _SI and u != "m":
        return _dec_to_num(n * _SI[u])
    if u in _BIN:
        return _dec_to_num(n * _BIN[u])
    raise fail("unknown unit")


def _units_parse_bytes(s: Any) -> Any:
    n, unit = _split_amount(string(s, 1), "units.parse_bytes")
    u = unit.lower()
    if u.endswith("b") and u != "b":
        u = u[:-1]
    elif u == "b":
        u = ""
    if u in _SI:
        mult = _SI[u]
    elif u in _BIN:
        mult = _BIN[u]
    else:
        raise fail("unknown unit")
    total = n * mult
    _check_digits(total)
    return int(total)


# -- semver ----------------------------------------------------------------------------------
_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


def _semver_valid(v: Any) -> bool:
    return type(v) is str and not v.startswith("v") and _SEMVER.match(v) is not None


def _parse_semver(v: Any, pos: int) -> re.Match[str]:
    s = string(v, pos)
    m = _SEMVER.match(s)
    if not m or s.startswith("v"):
        raise fail(f"operand {pos}: string {s!r} is not a valid SemVer")
    return m


def _semver_compare(a: Any, c: Any) -> int:
    x = _parse_semver(a, 1)
    y = _parse_semver(c, 2)
    for i in (1, 2, 3):
        d = int(x.group(i)) - int(y.group(i))
        if d:
            return 1 if d > 0 else -1
    px, py = x.group(4), y.group(4)
    if px is None and py is None:
        return 0
    if px is None:
        return 1
    if py is None:
        return -1
    ax, ay = px.split("."), py.split(".")
    for p, q in zip(ax, ay, strict=False):
        if p == q:
            continue
        pd, qd = p.isdigit(), q.isdigit()
        if pd and qd:
            return 1 if int(p) > int(q) else -1
        if pd:
            return -1
        if qd:
            return 1
        return 1 if p > q else -1
    if len(ax) == len(ay):
        return 0
    return 1 if len(ax) > len(ay) else -1


# -- crypto ----------------------------------------------------------------------------------
def _hash(alg: str) -> Any:
    return lambda s: hashlib.new(alg, string(s, 1).encode()).hexdigest()


def _hmac(alg: str) -> Any:
    return lambda x, k: hmac.new(string(k, 2).encode(), string(x, 1).encode(), alg).hexdigest()


def _hmac_equal(a: Any, c: Any) -> bool:
    return hmac.compare_digest(string(a, 1), string(c, 2))


def _b64url_json(seg: str) -> Any:
    pad = "=" * (-len(seg) % 4)
    try:
        return json_loads(base64.urlsafe_b64decode(seg + pad).decode("utf-8"))
    except (ValueError, TypeError):
        raise fail("JWT segment is not valid base64url JSON") from None


def _jwt_decode(tok: Any) -> Any:
    t = string(tok, 1)
    parts = t.split(".")
    if len(parts) != 3:
        raise fail("encoded JWT had no period separators")
    header = _b64url_json(parts[0])
    payload = _b64url_json(parts[1])
    if not isinstance(header, dict):
        raise fail("JWT header is not an object")
    pad = "=" * (-len(parts[2]) % 4)
    try:
        sig = base64.urlsafe_b64decode(parts[2] + pad).hex()
    except ValueError:
        raise fail("JWT signature is not valid base64url") from None
    return [header, payload, sig]


_HMAC_ALGS = {"HS256": "sha256", "HS384": "sha384", "HS512": "sha512"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64url_bytes(seg: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))
    except ValueError:
        raise fail("JWT segment is not valid base64url") from None


def _jwk_secret(key: Any) -> bytes:
    if not isinstance(key, dict) or key.get("kty") != "oct" or type(key.get("k")) is not str:
        raise fail("only symmetric (kty oct) JWKs are supported for signing")
    return _b64url_bytes(key["k"])


def _sign_raw(header_json: str, payload_json: str, key: Any) -> str:
    try:
        header = json_loads(header_json)
    except ValueError:
        raise fail("JWT header is not valid JSON") from None
    alg = header.get("alg") if isinstance(header, dict) else None
    if alg not in _HMAC_ALGS:
        raise fail(f"unsupported JWT signing algorithm {alg!r} (HS256, HS384, HS512)")
    secret = _jwk_secret(key)
    signing = _b64url(header_json.encode()) + "." + _b64url(payload_json.encode())
    sig = hmac.new(secret, signing.encode(), _HMAC_ALGS[alg]).digest()
    return signing + "." + _b64url(sig)


def _jwt_encode_sign(headers: Any, payload: Any, key: Any) -> str:
    from seccli.policy.rego.builtins.encoding import marshal

    if not isinstance(headers, dict) or not isinstance(payload, dict):
        raise fail("headers and payload must be objects")
    return _sign_raw(marshal(headers), marshal(payload), key)


def _jwt_encode_sign_raw(headers: Any, payload: Any, key: Any) -> str:
    try:
        jwk = json_loads(string(key, 3))
    except ValueError:
        raise fail("key is not a JSON Web Key") from None
    return _sign_raw(string(headers, 1), string(payload, 2), jwk)


def _verify_signature(token: str, alg: str, constraints: dict[str, Any]) -> bool:
    parts = token.split(".")
    if len(parts) != 3:
        raise fail("encoded JWT had no period separators")
    signing = (parts[0] + "." + parts[1]).encode()
    sig = _b64url_bytes(parts[2])
    if alg in _HMAC_ALGS:
        secret = constraints.get("secret")
        if type(secret) is not str:
            return False
        want = hmac.new(secret.encode(), signing, _HMAC_ALGS[alg]).digest()
        return hmac.compare_digest(want, sig)
    cert = constraints.get("cert")
    if type(cert) is not str:
        return False
    return _verify_asymmetric(alg, cert, signing, sig)


def _verify_asymmetric(alg: str, pem: str, signing: bytes, sig: bytes) -> bool:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    hashes_by = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}
    h = hashes_by.get(alg[2:])
    if h is None:
        return False
    if pem.lstrip().startswith("{"):
        # a JWK or a JWK set: any of its keys may verify (as OPA)
        return any(_verify_with_key(alg, key, signing, sig, h) for key in _jwk_public_keys(pem))
    try:
        if "CERTIFICATE" in pem:
            key: Any = x509.load_pem_x509_certificate(pem.encode()).public_key()
        else:
            key = serialization.load_pem_public_key(pem.encode())
    except ValueError:
        raise fail("failed to parse a PEM certificate or public key") from None
    return _verify_with_key(alg, key, signing, sig, h)


def _jwk_public_keys(text: str) -> list[Any]:
    """Public keys of a JWK (``kty`` RSA or EC) or of a JWK set (``keys``)."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    try:
        doc = json_loads(text)
    except ValueError:
        raise fail("failed to parse a JWK") from None
    jwks = doc.get("keys") if isinstance(doc, dict) and "keys" in doc else [doc]
    if not isinstance(jwks, list):
        raise fail("failed to parse a JWK set")
    curves = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}
    keys: list[Any] = []
    for jwk in jwks:
        if not isinstance(jwk, dict):
            raise fail("failed to parse a JWK")
        kty = jwk.get("kty")
        try:
            if kty == "RSA":
                n = int.from_bytes(_b64url_bytes(str(jwk["n"])), "big")
                e = int.from_bytes(_b64url_bytes(str(jwk["e"])), "big")
                keys.append(rsa.RSAPublicNumbers(e, n).public_key())
            elif kty == "EC" and jwk.get("crv") in curves:
                x = int.from_bytes(_b64url_bytes(str(jwk["x"])), "big")
                y = int.from_bytes(_b64url_bytes(str(jwk["y"])), "big")
                curve = curves[str(jwk["crv"])]
                keys.append(ec.EllipticCurvePublicNumbers(x, y, curve).public_key())
            else:
                raise fail(f"unsupported JWK key type {kty!r}")
        except (KeyError, ValueError):
            raise fail("failed to parse a JWK") from None
    return keys


def _verify_with_key(alg: str, key: Any, signing: bytes, sig: bytes, h: Any) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    try:
        if alg.startswith("RS") and isinstance(key, rsa.RSAPublicKey):
            key.verify(sig, signing, padding.PKCS1v15(), h)
        elif alg.startswith("PS") and isinstance(key, rsa.RSAPublicKey):
            key.verify(sig, signing, padding.PSS(padding.MGF1(h), padding.PSS.AUTO), h)
        elif alg.startswith("ES") and isinstance(key, ec.EllipticCurvePublicKey):
            n = len(sig) // 2
            der = encode_dss_signature(
                int.from_bytes(sig[:n], "big"), int.from_bytes(sig[n:], "big")
            )
            key.verify(der, signing, ec.ECDSA(h))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _jwt_verify(alg: str) -> Any:
    def verify(token: Any, key: Any) -> bool:
        constraints = {"secret": key} if alg in _HMAC_ALGS else {"cert": key}
        return _verify_signature(string(token, 1), alg, constraints)

    return verify


def _jwt_decode_verify(ctx: Any, token: Any, constraints: Any) -> Any:
    tok = string(token, 1)
    if not isinstance(constraints, dict):
        raise type_err_obj(constraints)
    header, payload, _sig = _jwt_decode(tok)
    alg = header.get("alg")
    want_alg = constraints.get("alg")
    bad = [False, {}, {}]
    if type(alg) is not str or (want_alg is not None and want_alg != alg):
        return bad
    if not _verify_signature(tok, alg, constraints):
        return bad
    if not isinstance(payload, dict):
        return bad
    now = constraints.get("time")
    if now is None:
        from seccli.policy.rego.builtins.timefns import _now

        now = _now(ctx)
    exp = payload.get("exp")
    if isinstance(exp, (int, float)) and not isinstance(exp, bool) and now >= exp * 1e9:
        return bad
    nbf = payload.get("nbf")
    if isinstance(nbf, (int, float)) and not isinstance(nbf, bool) and now < nbf * 1e9:
        return bad
    if "iss" in constraints and payload.get("iss") != constraints["iss"]:
        return bad
    if "sub" in constraints and payload.get("sub") != constraints["sub"]:
        return bad
    aud = payload.get("aud")
    if "aud" in constraints:
        auds = aud if isinstance(aud, list) else [aud]
        if constraints["aud"] not in auds:
            return bad
    elif aud is not None:
        return bad
    return [True, header, payload]


def type_err_obj(v: Any) -> Exception:
    from seccli.policy.rego.builtins.base import type_err

    return type_err(2, "object", v)


def _uuid_rfc4122(ctx: Any, s: Any) -> str:
    string(s, 1)
    cache = ctx.extra.setdefault("uuid", {})
    if s not in cache:
        cache[s] = str(uuid.uuid4())
    return str(cache[s])


def _uuid_parse(s: Any) -> Any:
    x = string(s, 1)
    try:
        u = uuid.UUID(x)
    except ValueError:
        return UNDEF
    variant = {
        uuid.RFC_4122: "RFC4122",
        uuid.RESERVED_NCS: "Reserved",
        uuid.RESERVED_MICROSOFT: "Microsoft",
        uuid.RESERVED_FUTURE: "Future",
    }[u.variant]
    out: dict[str, Any] = {"version": u.version or 0, "variant": variant}
    if u.version == 6:
        ts = ((u.int >> 96) << 28) | (((u.int >> 80) & 0xFFFF) << 12) | ((u.int >> 64) & 0x0FFF)
        out["time"] = (ts - 0x01B21DD213814000) * 100
    elif u.version == 7:
        out["time"] = (u.int >> 80) * 1_000_000
    if u.version in (1, 2):
        out["time"] = (u.time - 0x01B21DD213814000) * 100
        out["nodeid"] = "-".join(f"{u.node:012x}"[i : i + 2] for i in range(0, 12, 2))
        first = u.node >> 40
        out["macvariables"] = (
            f"{'local' if first & 2 else 'global'}:{'multicast' if first & 1 else 'unicast'}"
        )
        out["clocksequence"] = u.clock_seq
        if u.version == 2:
            out["id"] = u.time_low
            out["domain"] = {0: "Person", 1: "Group", 2: "Org"}.get(u.clock_seq_low, "Unknown")
    return out


def _trace(s: Any) -> bool:
    string(s, 1)
    return True


def _opa_runtime() -> Any:
    return {}


TABLE = table(
    builtin("units.parse", _units_parse, 1),
    builtin("units.parse_bytes", _units_parse_bytes, 1),
    builtin("semver.is_valid", _semver_valid, 1),
    builtin("semver.compare", _semver_compare, 2),
    builtin("crypto.md5", _hash("md5"), 1),
    builtin("crypto.sha1", _hash("sha1"), 1),
    builtin("crypto.sha256", _hash("sha256"), 1),
    builtin("crypto.hmac.md5", _hmac("md5"), 2),
    builtin("crypto.hmac.sha1", _hmac("sha1"), 2),
    builtin("crypto.hmac.sha256", _hmac("sha256"), 2),
    builtin("crypto.hmac.sha512", _hmac("sha512"), 2),
    builtin("crypto.hmac.equal", _hmac_equal, 2),
    builtin("io.jwt.decode", _jwt_decode, 1),
    builtin("io.jwt.decode_verify", _jwt_decode_verify, 2, needs_ctx=True, pure=False),
    builtin("io.jwt.encode_sign", _jwt_encode_sign, 3),
    builtin("io.jwt.encode_sign_raw", _jwt_encode_sign_raw, 3),
    *(
        builtin(f"io.jwt.verify_{a.lower()}", _jwt_verify(a), 2)
        for a in (
            "HS256",
            "HS384",
            "HS512",
            "RS256",
            "RS384",
            "RS512",
            "PS256",
            "PS384",
            "PS512",
            "ES256",
            "ES384",
            "ES512",
        )
    ),
    builtin("uuid.rfc4122", _uuid_rfc4122, 1, needs_ctx=True, pure=False),
    builtin("uuid.parse", _uuid_parse, 1),
    builtin("trace", _trace, 1),
    builtin("opa.runtime", _opa_runtime, 0),
    builtin("print", lambda *a: True, 0, variadic=True),
)
