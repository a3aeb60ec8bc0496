#!/usr/bin/env python3
# Run: python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install KalturaApiClient pycryptodome lxml
#      echo '{"version":2,"secret":"...","partner_id":1234567,"user_id":"u","type":0,"expiry":86400,
#             "privileges":"sview:*","now":1700000000,"random16_hex":"000102...0f"}' \
#        | /tmp/kvenv/bin/python tests/crosscheck/kaltura/generate_ks.py
#   v1 takes "rand" (0..65536) instead of "random16_hex". Prints the KS on one line.
#   Used by the ignored Rust test `crosscheck` in components/kaltura-api
#   (KALTURA_CROSSCHECK_PYTHON=/tmp/kvenv/bin/python cargo test -p kaltura-api -- --ignored).
"""Make a KS with Kaltura's own Python client (PyPI KalturaApiClient), clock and randomness pinned.

KalturaClient.generateSession (v1) and generateSessionV2 (v2) are static and offline. They read
time.time(), random.randint (v1) and Crypto.Random.get_random_bytes (v2); this script replaces
those three with the values given on stdin so the output is reproducible byte for byte.
"""

import json
import random
import sys
import time


def main() -> int:
    spec = json.load(sys.stdin)
    now = int(spec["now"])
    time.time = lambda: float(now)

    import KalturaClient.Client as kc  # imported after the clock is pinned

    version = int(spec.get("version", 2))
    args = (
        spec["secret"],
        spec.get("user_id", ""),
        int(spec["type"]),
        int(spec["partner_id"]),
        int(spec["expiry"]),
        spec.get("privileges", ""),
    )
    if version == 1:
        rand = int(spec["rand"])
        random.randint = lambda a, b: rand
        ks = kc.KalturaClient.generateSession(*args)
    elif version == 2:
        random16 = bytes.fromhex(spec["random16_hex"])
        if len(random16) != kc.KalturaClient.RANDOM_SIZE:
            print("random16_hex must be 16 bytes", file=sys.stderr)
            return 2
        kc.Random.get_random_bytes = lambda n: random16[:n]
        ks = kc.KalturaClient.generateSessionV2(*args)
    else:
        print("version must be 1 or 2", file=sys.stderr)
        return 2
    print(ks.decode("ascii") if isinstance(ks, bytes) else ks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
