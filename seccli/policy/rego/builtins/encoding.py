"""Encodings: base64, base64url, hex, JSON, YAML and URL query strings."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import urllib.parse
from typing import Any

from seccli.policy.rego.budget import (
    MAX_STRING,
    MAX_YAML,
    json_loads,
    logical_size,
    nesting_depth,
    number_too_large,
    refuse_size,
)
from seccli.policy.rego.builtins.base import builtin, fail, obj, string, table, type_err
from seccli.policy.rego.errors import is_int_conversion_limit
from seccli.policy.rego.values import to_json


def _b64enc(s: Any) -> str:
    return base64.b64encode(string(s, 1).encode()).decode()


def _b64dec(s: Any) -> str:
    x = string(s, 1)
    try:
        return base64.b64decode(x, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        raise fail("illegal base64 data") from None


def _b64valid(s: Any) -> bool:
    try:
        base64.b64decode(string(s, 1), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _b64url_enc(s: Any) -> str:
    return base64.urlsafe_b64encode(string(s, 1).encode()).decode()


def _b64url_enc_np(s: Any) -> str:
    return base64.urlsafe_b64encode(string(s, 1).encode()).decode().rstrip("=")


def _b64url_dec(s: Any) -> str:
    x = string(s, 1)
    pad = "=" * (-len(x) % 4)
    try:
        return base64.urlsafe_b64decode(x + pad).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        raise fail("illegal base64 data") from None


def _hexenc(s: Any) -> str:
    return string(s, 1).encode().hex()


def _hexdec(s: Any) -> str:
    try:
        return bytes.fromhex(string(s, 1)).decode("utf-8", errors="replace")
    except ValueError:
        raise fail("invalid hex string") from None


def marshal(v: Any) -> str:
    """Go-compatible compact JSON (sorted keys, no HTML escaping quirks)."""
    logical_size(v, MAX_STRING)
    return json.dumps(to_json(v), separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _json_marshal(v: Any) -> str:
    return marshal(v)


def _json_marshal_opts(v: Any, opts: Any) -> str:
    o = obj(opts, 2)
    pretty = bool(o.get("pretty", False))
    indent = o.get("indent", "\t")
    prefix = o.get("prefix", "")
    if not pretty and "indent" not in o and "prefix" not in o:
        return marshal(v)
    # every line is indented once per level of nesting: bound the output before building it
    lines = logical_size(v, MAX_STRING)
    pad = len(str(indent)) * nesting_depth(v) + len(str(prefix))
    refuse_size(lines * (1 + pad), MAX_STRING * 4, "indented characters")
    text = json.dumps(to_json(v), indent=indent, ensure_ascii=False, sort_keys=True)
    return "\n".join(prefix + line for line in text.split("\n"))


def _json_unmarshal(s: Any) -> Any:
    try:
        return json_loads(string(s, 1))
    except ValueError as err:
        raise fail(f"invalid JSON: {err}") from None


def _json_is_valid(s: Any) -> bool:
    if type(s) is not str:
        return False
    try:
        json_loads(s)
    except ValueError:
        return False
    return True


def _yaml_marshal(v: Any) -> str:
    import yaml

    logical_size(v, MAX_STRING)
    return str(yaml.safe_dump(to_json(v), default_flow_style=False, sort_keys=True))


def _json_key(k: Any) -> str:
    """A YAML mapping key as the JSON conversion OPA's decoder makes: its JSON text."""
    if type(k) is str:
        return k
    if k is None or isinstance(k, (bool, int, float)):
        return json.dumps(to_json(k), separators=(",", ":"))
    return str(k)  # a timestamp or other scalar: its text


@functools.lru_cache(maxsize=1)
def _json_keys_loader() -> Any:
    """PyYAML's safe loader whose mappings get string keys as they are built (OPA converts
    YAML to JSON, so ``1: a`` and ``true: b`` are the keys "1" and "true", never merged)."""
    import yaml

    class JsonKeysLoader(yaml.SafeLoader):
        pass

    def mapping(loader: Any, node: Any) -> dict[str, Any]:
        loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a scalar", key_node.start_mark
                )
            out[_json_key(key)] = loader.construct_object(value_node, deep=True)
        return out

    JsonKeysLoader.add_constructor("tag:yaml.org,2002:map", mapping)
    return JsonKeysLoader


def _yaml_load(text: str) -> Any:
    """The first YAML document of ``text`` as a value (as OPA's YAML decoder, which reads one
    document and ignores the rest): bounded in size (a pure-Python parser, it cannot be
    interrupted) and in the digits of its integers."""
    import yaml

    refuse_size(len(text), MAX_YAML, "input characters")
    try:
        value = next(iter(yaml.load_all(text, Loader=_json_keys_loader())), None)
    except ValueError as err:
        if is_int_conversion_limit(err):
            raise number_too_large() from None
        raise
    logical_size(value, MAX_STRING)  # aliases share nodes: a "billion laughs" is refused here
    return value


def _yaml_unmarshal(s: Any) -> Any:
    import yaml

    try:
        return _yaml_load(string(s, 1))
    except yaml.YAMLError as err:
        raise fail(f"yaml: {err}") from None


def _yaml_is_valid(s: Any) -> bool:
    import yaml

    if type(s) is not str:
        return False
    try:
        _yaml_load(s)
    except yaml.YAMLError:
        return False
    return True


def _urlq_enc(s: Any) -> str:
    return urllib.parse.quote_plus(string(s, 1))


def _urlq_dec(s: Any) -> str:
    try:
        return urllib.parse.unquote_plus(string(s, 1), errors="strict")
    except UnicodeDecodeError:
        raise fail("invalid URL escape") from None


def _urlq_enc_obj(o: Any) -> str:
    pairs: list[tuple[str, str]] = []
    for k in sorted(obj(o, 1)):
        v = o[k]
        if type(v) is str:
            pairs.append((k, v))
        elif isinstance(v, (list, tuple, frozenset)):
            seq = sorted(v) if isinstance(v, frozenset) else v
            pairs.extend((k, str(x)) for x in seq)
        else:
            raise type_err(1, "object of strings or arrays of strings", o)
    return urllib.parse.urlencode(pairs)


def _urlq_dec_obj(s: Any) -> Any:
    out: dict[str, list[str]] = {}
    for k, v in urllib.parse.parse_qsl(string(s, 1), keep_blank_values=True):
        out.setdefault(k, []).append(v)
    return out


TABLE = table(
    builtin("base64.encode", _b64enc, 1),
    builtin("base64.decode", _b64dec, 1),
    builtin("base64.is_valid", _b64valid, 1),
    builtin("base64url.encode", _b64url_enc, 1),
    builtin("base64url.encode_no_pad", _b64url_enc_np, 1),
    builtin("base64url.decode", _b64url_dec, 1),
    builtin("hex.encode", _hexenc, 1),
    builtin("hex.decode", _hexdec, 1),
    builtin("json.marshal", _json_marshal, 1),
    builtin("json.marshal_with_options", _json_marshal_opts, 2),
    builtin("json.unmarshal", _json_unmarshal, 1),
    builtin("json.is_valid", _json_is_valid, 1),
    builtin("yaml.marshal", _yaml_marshal, 1),
    builtin("yaml.unmarshal", _yaml_unmarshal, 1),
    builtin("yaml.is_valid", _yaml_is_valid, 1),
    builtin("urlquery.encode", _urlq_enc, 1),
    builtin("urlquery.decode", _urlq_dec, 1),
    builtin("urlquery.encode_object", _urlq_enc_obj, 1),
    builtin("urlquery.decode_object", _urlq_dec_obj, 1),
)
