#!/usr/bin/env python3
# Run: echo '{"ks":"djJ8...","secrets":["0123..."],"now":1700000000}' \
#        | python3 tests/crosscheck/kaltura/validate_ks.py        (needs pycryptodome for v2)
#   Prints JSON: {"valid":true,"version":2,"partner_id":"..","user_id":"..","type":"0",
#   "valid_until":"..","privileges":"a:b,c","fields":[["a","b"],["c",""]],...}
#   or {"valid":false,"error":"BAD_SIGNATURE|EXPIRED|INVALID_STR|..."}.
#   Used by the ignored Rust test `crosscheck` in components/kaltura-api.
"""An independent port of kaltura/server kSessionBase::parseKS / parseKsV1 / parseKsV2 / isValidBase.

Written from the PHP (alpha/apps/kaltura/lib/request/kSessionBase.class.php), not from the Rust
crate, so it can judge the crate's output:
- base64-decode strictly after '-' -> '+' and '_' -> '/';
- 'v2|' prefix: explode('|', s, 3); for each admin secret AES-128-CBC decrypt with
  key = sha1(secret)[:16], zero IV; rtrim "\\0"; accept iff bytes[:20] == sha1(bytes[20:]);
  skip 16 random bytes; parse_str the rest; _e/_t/_u/_m/_d are fields, the rest privileges;
- otherwise v1: explode('|', s, 2); >= 3 ';'-parts; accept iff sha1(secret . info) == hash;
- then valid_until <= now is EXPIRED.
"""

import base64
import binascii
import hashlib
import json
import sys
from urllib.parse import unquote_plus

FIELD_MAPPING = {
    "_e": "valid_until",
    "_t": "type",
    "_u": "user_id",
    "_m": "master_partner_id",
    "_d": "additional_data",
}


class Invalid(Exception):
    pass


def php_base64_strict(s: str) -> bytes:
    s = s.replace("-", "+").replace("_", "/")
    s += "=" * (-len(s) % 4)
    try:
        out = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("INVALID_STR")
    if not out:
        raise Invalid("INVALID_STR")
    return out


def php_parse_str(s: str) -> dict:
    """parse_str for flat keys: '&'-split, '+' and %XX decoded, '.'/' ' in names -> '_', last wins."""
    out = {}
    for part in s.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        name = unquote_plus(name).lstrip(" ")
        if not name:
            continue
        name = name.replace(".", "_").replace(" ", "_")
        out[name] = unquote_plus(value)
    return out


def parse_privileges(text: str) -> dict:
    """kSessionBase::parsePrivileges: name -> list of '/'-separated values, repeated names merged."""
    parsed = {}
    for privilege in text.split(","):
        if ":" in privilege:
            name, value = privilege.split(":", 1)
        else:
            name, value = privilege, None
        parsed.setdefault(name, [])
        if value:
            parsed[name].extend(value.split("/"))
    return parsed


def parse_v2(decoded: bytes, secrets):
    from Crypto.Cipher import AES

    parts = decoded.split(b"|", 2)
    if len(parts) != 3:
        raise Invalid("INVALID_STR")
    _version, partner_id, enc = parts
    match = None
    for secret in secrets:
        if len(enc) == 0 or len(enc) % 16:
            break
        key = hashlib.sha1(secret.encode("utf-8")).digest()[:16]
        dec = AES.new(key, AES.MODE_CBC, b"\0" * 16).decrypt(enc).rstrip(b"\0")
        digest, fields = dec[:20], dec[20:]
        if digest == hashlib.sha1(fields).digest():
            match = fields
            break
    if match is None:
        raise Invalid("BAD_SIGNATURE")
    fields_str = match[16:].decode("utf-8")
    result = {"version": 2, "partner_id": partner_id.decode("utf-8")}
    privileges, pairs = [], []
    for name, value in php_parse_str(fields_str).items():
        if name in FIELD_MAPPING:
            result[FIELD_MAPPING[name]] = value
            continue
        privileges.append(f"{name}:{value}" if len(value) else name)
        pairs.append([name, value])
    text = ",".join(privileges)
    result["privileges"] = "*" if text == "all:*" else text
    result["fields"] = pairs
    return result


def parse_v1(decoded: bytes, secrets):
    text = decoded.decode("utf-8")
    if "|" not in text:
        raise Invalid("INVALID_STR")
    digest, real_str = text.split("|", 1)
    parts = real_str.split(";")
    if len(parts) < 3:
        raise Invalid("INVALID_STR")
    if not any(hashlib.sha1((s + real_str).encode("utf-8")).hexdigest() == digest for s in secrets):
        raise Invalid("BAD_SIGNATURE")
    names = ["partner_id", "partner_pattern", "valid_until", "type", "rand", "user_id",
             "privileges", "master_partner_id", "additional_data"]
    result = {"version": 1}
    for i, name in enumerate(names):
        if i < len(parts):
            result[name] = parts[i]
    parsed = parse_privileges(result.get("privileges", ""))
    result["fields"] = [[n, "/".join(v)] for n, v in parsed.items() if n]
    return result


def validate(ks: str, secrets, now: int) -> dict:
    decoded = php_base64_strict(ks)
    result = parse_v2(decoded, secrets) if decoded[:3] == b"v2|" else parse_v1(decoded, secrets)
    try:
        valid_until = int(result.get("valid_until", ""))
    except ValueError:
        raise Invalid("INVALID_STR")
    if valid_until <= now:
        raise Invalid("EXPIRED")
    result.setdefault("user_id", "")
    result["parsed_privileges"] = parse_privileges(result.get("privileges") or "")
    result["valid"] = True
    return result


def main() -> int:
    spec = json.load(sys.stdin)
    secrets = spec["secrets"] if "secrets" in spec else [spec["secret"]]
    try:
        out = validate(spec["ks"], secrets, int(spec["now"]))
    except Invalid as e:
        out = {"valid": False, "error": str(e)}
    except UnicodeDecodeError:
        out = {"valid": False, "error": "INVALID_STR"}
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
