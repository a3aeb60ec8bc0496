import { test } from "node:test";
import assert from "node:assert/strict";
import { explain } from "../src/messages.ts";

test("a deployment without its settings is explained as not set up, whatever the step", () => {
  for (const step of ["config", "sign-in", "join", "playback"] as const) {
    assert.match(explain(step, { status: 503, code: "not_configured" }), /not set up/);
  }
});

test("a member of another server is told they are not a member", () => {
  assert.match(explain("sign-in", { status: 403, code: "not_a_member" }), /not a member/);
});

test("Kaltura failing at playback says Kaltura is unavailable", () => {
  assert.match(explain("playback", { status: 502, code: "upstream" }), /Kaltura is not available/);
  assert.match(explain("playback", { status: 404, code: "not_found" }), /not available to you/);
});

test("a room without a video points to the command that picks one", () => {
  assert.match(explain("join", { status: 400, code: "invalid" }), /\/kaltura-video/);
});

test("no answer at all is a connection problem", () => {
  assert.match(explain("room", {}), /cannot be reached/);
});
