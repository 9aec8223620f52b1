"""Builtins of the native Rego engine: each with positive and negative (or edge) cases."""

from __future__ import annotations

from typing import Any

import pytest

from seccli.policy.rego import UNDEFINED, RegoError, RegoSet, compile

POLICY = compile({})


def ev(expr: str, input: Any = UNDEFINED, strict: bool = False) -> Any:
    res = POLICY.eval(f"r := {expr}", input, strict_builtin_errors=strict)
    return res.bindings[0]["r"] if res.bindings else UNDEFINED


CASES: list[tuple[str, Any]] = [
    # comparison / numbers
    ("abs(-3)", 3),
    ("ceil(1.2)", 2),
    ("floor(-1.2)", -2),
    ("round(2.5)", 3),
    ("numbers.range(1, 4)", [1, 2, 3, 4]),
    ("numbers.range(3, 1)", [3, 2, 1]),
    ('to_number("1.5")', 1.5),
    ("bits.and(12, 10)", 8),
    ("bits.lsh(1, 4)", 16),
    # aggregates
    ("count({1, 2})", 2),
    ('count("héllo")', 5),
    ("sum([1, 2.5])", 3.5),
    ("product([2, 3])", 6),
    ("max([3, 1, 2])", 3),
    ("min({3, 1})", 1),
    ('sort([3, "a", 1, null])', [None, 1, 3, "a"]),
    # arrays / sets / objects
    ("array.concat([1], [2])", [1, 2]),
    ("array.slice([1, 2, 3, 4], 1, 3)", [2, 3]),
    ("array.reverse([1, 2])", [2, 1]),
    ("intersection({{1, 2}, {2, 3}})", RegoSet({2})),
    ("union({{1}, {2}})", RegoSet({1, 2})),
    ('object.get({"a": {"b": 1}}, ["a", "b"], 0)', 1),
    ('object.get({"a": 1}, "z", "dflt")', "dflt"),
    ('object.keys({"a": 1, "b": 2})', RegoSet({"a", "b"})),
    ('object.remove({"a": 1, "b": 2}, ["a"])', {"b": 2}),
    ('object.union({"a": {"x": 1}}, {"a": {"y": 2}})', {"a": {"x": 1, "y": 2}}),
    ('object.filter({"a": 1, "b": 2}, {"b"})', {"b": 2}),
    ('json.filter({"a": {"b": 1, "c": 2}, "d": 3}, ["a/b"])', {"a": {"b": 1}}),
    ('json.remove({"a": {"b": 1, "c": 2}}, ["a/b"])', {"a": {"c": 2}}),
    ('object.subset({"a": 1, "b": 2}, {"a": 1})', True),
    ('object.subset({"a": 1}, {"a": 2})', False),
    # strings
    ('sprintf("%v-%d-%s-%.2f", ["x", 42, "y", 3.14159])', "x-42-y-3.14"),
    ('sprintf("%v", [[1, "a"]])', '[1, "a"]'),
    ('sprintf("%v %v", [{"k": "v"}, true])', '{"k": "v"} true'),
    ('sprintf("%q|%x|%05d|%-4s|", ["q", 255, 42, "ab"])', '"q"|ff|00042|ab  |'),
    ('sprintf("%d", [])', "%!d(MISSING)"),
    ('sprintf("%s", [1.5])', "1.5"),
    ('sprintf("%v", ["quote \\" back \\\\"])', 'quote " back \\'),
    ('startswith("abc", "ab")', True),
    ('endswith("abc", "bc")', True),
    ('contains("abc", "d")', False),
    ('split("a,b", ",")', ["a", "b"]),
    ('concat("-", ["a", "b"])', "a-b"),
    ('concat("-", {"b", "a"})', "a-b"),
    ('trim("..a..", ".")', "a"),
    ('trim_prefix("abc", "a")', "bc"),
    ('trim_suffix("abc", "c")', "ab"),
    ('trim_space("  a ")', "a"),
    ('trim_left("xxa", "x")', "a"),
    ('replace("aaa", "a", "b")', "bbb"),
    ('strings.replace_n({"a": "1", "b": "2"}, "abc")', "12c"),
    ('lower("ABC")', "abc"),
    ('upper("abc")', "ABC"),
    ("format_int(255, 16)", "ff"),
    ("format_int(-5.9, 10)", "-5"),
    ('indexof("héllo", "l")', 2),
    ('indexof("abc", "z")', -1),
    ('substring("abcdef", 1, 3)', "bcd"),
    ('strings.reverse("abc")', "cba"),
    # regex and glob
    ('regex.match("^[a-z]+$", "abc")', True),
    ('regex.match("^[a-z]+$", "ab1")', False),
    ('regex.match("a\\\\z", "ba")', True),
    ('regex.match("[[:digit:]]+", "x12")', True),
    ('regex.is_valid("(")', False),
    ('regex.is_valid("(?=x)")', False),  # lookahead is not RE2
    ('regex.find_n("[0-9]", "a1b2c3", 2)', ["1", "2"]),
    ('regex.split(",", "a,b")', ["a", "b"]),
    ('regex.replace("abc", "b", "x")', "axc"),
    ('regex.find_all_string_submatch_n("(a)(b)?", "ab a", -1)', [["ab", "a", "b"], ["a", "a", ""]]),
    ('glob.match("*.example.com", ["."], "api.example.com")', True),
    ('glob.match("*.example.com", ["."], "a.b.example.com")', False),
    ('glob.match("**.example.com", ["."], "a.b.example.com")', True),
    ('glob.match("{a,b}*", [], "bz")', True),
    # units, semver, types
    ('units.parse("1.5K")', 1500),
    ('units.parse("250m")', 0.25),
    ('units.parse("1Ki")', 1024),
    ('units.parse_bytes("1GiB")', 1073741824),
    ('units.parse_bytes("10KB")', 10000),
    ('semver.is_valid("1.2.3-rc.1")', True),
    ('semver.is_valid("v1.2")', False),
    ('semver.compare("1.10.0", "1.9.0")', 1),
    ('semver.compare("1.0.0-alpha", "1.0.0")', -1),
    ("type_name({1})", "set"),
    ("is_number(true)", False),
    ('is_string("x")', True),
    # encodings
    ('base64.encode("hi")', "aGk="),
    ('base64.decode("aGk=")', "hi"),
    ('base64url.encode_no_pad("hi?")', "aGk_"),
    ('hex.encode("hi")', "6869"),
    ('json.marshal({"b": [1, true], "a": null})', '{"a":null,"b":[1,true]}'),
    ('json.unmarshal("{\\"a\\": [1]}")', {"a": [1]}),
    ('json.is_valid("{")', False),
    ('yaml.unmarshal("a: [1, 2]")', {"a": [1, 2]}),
    ('urlquery.encode("a b&c")', "a+b%26c"),
    ('urlquery.decode("a+b%26c")', "a b&c"),
    ('urlquery.encode_object({"a": "1", "b": ["x", "y"]})', "a=1&b=x&b=y"),
    # time
    ('time.parse_rfc3339_ns("2024-01-02T03:04:05.5Z")', 1704164645500000000),
    ('time.parse_duration_ns("1h30m")', 5400000000000),
    ('time.parse_duration_ns("1.5s")', 1500000000),
    ("time.date(0)", [1970, 1, 1]),
    ("time.clock(3661000000000)", [1, 1, 1]),
    ("time.weekday(0)", "Thursday"),
    ("time.add_date(0, 1, 1, 1)", 34300800000000000),
    ('time.format([0, "UTC", "2006-01-02"])', "1970-01-01"),
    ('time.parse_ns("2006-01-02", "2024-03-04")', 1709510400000000000),
    # net
    ('net.cidr_contains("10.0.0.0/8", "10.1.2.3")', True),
    ('net.cidr_contains("10.0.0.0/8", "11.0.0.1")', False),
    ('net.cidr_contains("10.0.0.0/8", "10.1.0.0/16")', True),
    ('net.cidr_intersects("10.0.0.0/8", "10.2.0.0/16")', True),
    ('net.cidr_intersects("10.0.0.0/8", "192.168.0.0/16")', False),
    ('net.cidr_merge(["10.0.0.0/25", "10.0.0.128/25"])', RegoSet({"10.0.0.0/24"})),
    ('net.cidr_is_valid("10.0.0.0/33")', False),
    # crypto / jwt
    ('crypto.sha256("abc")', "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
        'crypto.hmac.sha256("msg", "key")',
        "2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628",
    ),
    (
        'io.jwt.decode("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln")',
        [{"alg": "HS256"}, {"sub": "a"}, "736967"],
    ),
    # graphs
    (
        'graph.reachable({"a": ["b"], "b": {"c"}, "c": [], "d": ["a"]}, ["a"])',
        RegoSet({"a", "b", "c"}),
    ),
    ('graph.reachable({"a": ["a"]}, {"a"})', RegoSet({"a"})),
    # walk
    ('[p | walk({"a": [1]}, [p, _])]', [[], ["a"], ["a", 0]]),
]


@pytest.mark.parametrize(("expr", "want"), CASES, ids=[c[0][:60] for c in CASES])
def test_builtin(expr: str, want: Any) -> None:
    got = ev(expr)
    assert got == want
    assert type(got) is type(want) or not (isinstance(want, bool) or isinstance(got, bool))


UNDEFINED_CASES = [
    'units.parse("12zz")',
    'to_number("nope")',
    'base64.decode("!!")',
    'json.unmarshal("{")',
    'time.parse_duration_ns("1d")',
    'time.parse_rfc3339_ns("yesterday")',
    'semver.compare("x", "1.0.0")',
    'regex.match("(", "x")',
    'net.cidr_contains("nonsense", "10.0.0.1")',
    'io.jwt.decode("a.b")',
    "max([])",
    'object.get({"a": 1}, "a", 0) + "x"',
    'count(object.get({}, "k", 5))',
    "1 / 0",
]


@pytest.mark.parametrize("expr", UNDEFINED_CASES)
def test_builtin_errors_are_undefined_unless_strict(expr: str) -> None:
    assert ev(expr) is UNDEFINED
    if expr != "max([])":
        with pytest.raises(RegoError) as exc:
            ev(expr, strict=True)
        assert exc.value.code in ("eval_builtin_error", "eval_type_error")


def test_constant_operand_type_errors_are_compile_errors() -> None:
    for src in ("p := count(1)", 'p := "1" / 9', 'p := startswith(1, "a")'):
        with pytest.raises(RegoError) as exc:
            compile({"t.rego": f"package t\nimport rego.v1\n{src}\n"})
        assert exc.value.code == "rego_type_error"
        assert exc.value.line == 3
    # the same error with a run-time operand is undefined (OPA's default) or an error (strict)
    pol = compile({"t.rego": "package t\nimport rego.v1\np := count(input)\n"})
    assert pol.eval("data.t.p", 5).value is UNDEFINED
    with pytest.raises(RegoError):
        pol.eval("data.t.p", 5, strict_builtin_errors=True)


def test_x509_parse_certificates() -> None:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "svc.example")])
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(42)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("svc.example")]), False)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    certs = ev("crypto.x509.parse_certificates(input.pem)", {"pem": pem})
    assert certs[0]["Subject"]["CommonName"] == "svc.example"
    assert certs[0]["DNSNames"] == ["svc.example"]
    assert certs[0]["SerialNumber"] == 42
    assert ev('crypto.x509.parse_certificates("garbage")') is UNDEFINED


def test_jwt_sign_and_verify_hs256() -> None:
    key = '{"kty": "oct", "k": base64url.encode_no_pad("s3cret")}'
    res = POLICY.eval(
        f't := io.jwt.encode_sign({{"alg": "HS256"}}, {{"sub": "ana", "exp": 4102444800}}, {key});'
        ' ok := io.jwt.verify_hs256(t, "s3cret");'
        ' forged := io.jwt.verify_hs256(t, "guess");'
        ' d := io.jwt.decode_verify(t, {"secret": "s3cret", "sub": "ana"});'
        ' wrong_sub := io.jwt.decode_verify(t, {"secret": "s3cret", "sub": "bob"})',
        now_ns=1_700_000_000 * 10**9,
    )
    row = res.bindings[0]
    assert row["ok"] is True and row["forged"] is False
    assert row["d"] == [True, {"alg": "HS256"}, {"sub": "ana", "exp": 4102444800}]
    assert row["wrong_sub"] == [False, {}, {}]
    expired = POLICY.eval(
        f't := io.jwt.encode_sign({{"alg": "HS256"}}, {{"exp": 1}}, {key});'
        ' d := io.jwt.decode_verify(t, {"secret": "s3cret"})'
    ).bindings[0]["d"]
    assert expired == [False, {}, {}]


def test_regex_replace_uses_go_templates() -> None:
    assert ev('regex.replace("ab-ad", "a(?P<x>b|d)", "<$1${x}$$>")') == "<bb$>-<dd$>"
    assert ev('regex.replace("abc", "b", "$9")') == "ac"  # missing group: empty


def test_regex_is_linear_time() -> None:
    pytest.importorskip("re2", reason="google-re2 not installed: Python re fallback backtracks")
    import time

    t0 = time.monotonic()
    assert ev("regex.match(`(a+)+$`, input)", "a" * 50_000 + "b") is False
    assert time.monotonic() - t0 < 2


def test_regex_dollar_matches_only_at_the_end_like_go() -> None:
    pytest.importorskip("re2", reason="google-re2 not installed")
    assert ev('regex.match("a$", "a\\n")') is False


def test_time_now_ns_is_fixed_per_evaluation() -> None:
    res = POLICY.eval("a := time.now_ns(); b := time.now_ns()", now_ns=123)
    assert res.bindings == [{"a": 123, "b": 123}]


def test_rand_and_uuid_are_stable_within_one_evaluation() -> None:
    res = POLICY.eval('a := uuid.rfc4122("k"); b := uuid.rfc4122("k"); c := rand.intn("s", 10)')
    row = res.bindings[0]
    assert row["a"] == row["b"]
    assert 0 <= row["c"] < 10
