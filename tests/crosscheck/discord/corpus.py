#!/usr/bin/env python3
# Run: <python with PyNaCl and discord-interactions> tests/crosscheck/discord/corpus.py <timestamp>
#   Prints a JSON list of signed interaction requests — genuine ones and tampered ones —
#   each with the verdict of the maintained third-party verifier (PyPI
#   `discord-interactions` `verify_key`). The ignored e2e test
#   `crosscheck_discord_interactions_agrees_with_our_endpoint` sends each through the
#   real discord-bot component and checks that we accept exactly what it accepts.
"""Independent Discord request signing (PyNaCl) and verification (discord-interactions)."""

import contextlib
import io
import json
import sys

from discord_interactions import verify_key
from nacl.signing import SigningKey

# RFC 8032 test 1: the key pair of tests/fixtures/discord-signature.json.
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
OTHER_SEED = bytes(range(32))


def sign(seed: bytes, timestamp: str, body: str) -> str:
    return SigningKey(seed).sign((timestamp + body).encode()).signature.hex()


def main() -> None:
    timestamp = sys.argv[1]
    key = SigningKey(SEED)
    public_hex = key.verify_key.encode().hex()
    ping = '{"type":1,"id":"1","application_id":"1100000000000000001","token":"t","version":1}'
    other_ping = '{"type":1,"id":"2","application_id":"1100000000000000001","token":"u","version":1}'
    good = sign(SEED, timestamp, ping)
    cases = [
        ("genuine ping", timestamp, ping, good),
        ("another genuine ping", timestamp, other_ping, sign(SEED, timestamp, other_ping)),
        ("body changed after signing", timestamp, other_ping, good),
        ("timestamp changed after signing", str(int(timestamp) - 1), ping, good),
        ("signed by another key", timestamp, ping, sign(OTHER_SEED, timestamp, ping)),
        ("signature truncated", timestamp, ping, good[:126]),
        ("signature upper case", timestamp, ping, good.upper()),
        ("signature with a flipped bit", timestamp, ping, good[:-1] + ("0" if good[-1] != "0" else "1")),
        ("signature of the body alone", timestamp, ping, SigningKey(SEED).sign(ping.encode()).signature.hex()),
        ("empty signature", timestamp, ping, ""),
    ]
    out = []
    for why, ts, body, signature in cases:
        try:
            # verify_key prints its reasons; keep stdout for the JSON answer.
            with contextlib.redirect_stdout(io.StringIO()):
                accepted = bool(verify_key(body.encode(), signature, ts, public_hex))
        except Exception:  # the library raises on malformed hex: that is a rejection
            accepted = False
        out.append({"why": why, "timestamp": ts, "body": body, "signature": signature, "accepted": accepted})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
