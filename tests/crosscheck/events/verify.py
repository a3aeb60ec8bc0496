#!/usr/bin/env python3
# Run: <python with standardwebhooks and jsonschema> tests/crosscheck/events/verify.py < input.json
#   input: {"secret": "whsec_...", "document": <the gateway's OpenAPI document>,
#           "deliveries": [{"headers": {"webhook-id", "webhook-timestamp",
#           "webhook-signature"}, "body": "<exact body>"}]}
#   Prints a JSON list of verdicts, one per delivery: the Standard Webhooks reference
#   verifier (PyPI `standardwebhooks`) accepts it, rejects it tampered and under another
#   secret, and its payload fits its type's JSON Schema from the document
#   (components.schemas, named by the document's webhooks), checked by `jsonschema`.
"""Independent verification of delivered events: signature and schema."""

import base64
import json
import sys

import jsonschema
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def rejects(webhook: Webhook, body: str, headers: dict) -> bool:
    try:
        webhook.verify(body, headers)
    except WebhookVerificationError:
        return True
    return False


def main() -> None:
    given = json.load(sys.stdin)
    webhook = Webhook(given["secret"])
    other = Webhook("whsec_" + base64.b64encode(bytes(range(32))).decode())
    document = given["document"]
    verdicts = []
    for delivery in given["deliveries"]:
        headers, body = delivery["headers"], delivery["body"]
        verdict = {"webhook-id": headers["webhook-id"]}
        try:
            payload = webhook.verify(body, headers)
            verdict["verified"] = True
        except WebhookVerificationError as err:
            verdict["verified"] = False
            verdict["error"] = str(err)
            verdicts.append(verdict)
            continue
        verdict["type"] = payload["type"]
        ref = document["webhooks"][payload["type"]]["post"]["requestBody"]["content"][
            "application/json"]["schema"]["$ref"]
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        try:
            jsonschema.validate(payload, schema, cls=jsonschema.Draft202012Validator,
                                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
            verdict["schema_valid"] = True
        except jsonschema.ValidationError as err:
            verdict["schema_valid"] = False
            verdict["error"] = err.message
        verdict["tampered_rejected"] = rejects(webhook, body.replace('"api"', '"discord"'), headers)
        verdict["other_secret_rejected"] = rejects(other, body, headers)
        verdicts.append(verdict)
    print(json.dumps(verdicts))


if __name__ == "__main__":
    main()
