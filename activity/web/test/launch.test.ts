import { test } from "node:test";
import assert from "node:assert/strict";
import { apiBase, authorizeUrl, behindDiscordProxy, browserRoomQuery, instanceRoom, parseLaunch, redirectUriOf } from "../src/launch.ts";

test("a query with frame_id is the page inside Discord, in the instance's room", () => {
  const launch = parseLaunch("?frame_id=f1&instance_id=i-42:abc&platform=desktop&guild_id=111&channel_id=222");
  assert.deepEqual(launch, {
    mode: "discord",
    instanceId: "i-42:abc",
    guildId: "111",
    channelId: "222",
    room: "i-i-42_abc",
  });
});

test("inside Discord without an instance there is no room", () => {
  assert.equal(parseLaunch("?frame_id=f1&platform=desktop").mode, "invalid");
});

test("an instance room keeps to the room alphabet and length", () => {
  assert.match(instanceRoom("x".repeat(300) + "/?"), /^i-x{98}$/);
});

test("a browser link names its room, server and video", () => {
  const launch = parseLaunch("?entry=0_abc123&guild=111111111111111111&room=c-555");
  assert.deepEqual(launch, {
    mode: "browser",
    room: "c-555",
    guildId: "111111111111111111",
    entryId: "0_abc123",
    code: null,
    state: null,
  });
});

test("a browser link back from Discord's sign-in carries the code and state", () => {
  const launch = parseLaunch("?code=abc&state=s1&guild=1&room=r");
  assert.equal(launch.mode, "browser");
  assert.equal(launch.mode === "browser" && launch.code, "abc");
  assert.equal(launch.mode === "browser" && launch.state, "s1");
});

test("a browser link without a valid room, server or video is refused with a reason", () => {
  for (const search of ["?guild=1", "?guild=1&room=a/b", "?room=r", "?room=r&guild=0123", "?room=r&guild=1&entry=a%20b"]) {
    const launch = parseLaunch(search);
    assert.equal(launch.mode, "invalid", search);
    assert.ok(launch.mode === "invalid" && launch.problem.length > 10);
  }
});

test("the room query drops the sign-in leftovers and keeps the room", () => {
  assert.equal(browserRoomQuery({ room: "c-5", guildId: "1", entryId: "0_a" }), "?entry=0_a&guild=1&room=c-5");
  assert.equal(browserRoomQuery({ room: "c-5", guildId: "1", entryId: null }), "?guild=1&room=c-5");
});

test("the authorization URL asks for a code with scope identify back to this page", () => {
  const url = new URL(authorizeUrl("https://discord.example/oauth2/authorize?scope=guilds", "42", "https://kd.example/activity/", "st"));
  assert.equal(url.origin + url.pathname, "https://discord.example/oauth2/authorize");
  assert.equal(url.searchParams.get("client_id"), "42");
  assert.equal(url.searchParams.get("response_type"), "code");
  assert.equal(url.searchParams.get("scope"), "identify");
  assert.equal(url.searchParams.get("redirect_uri"), "https://kd.example/activity/");
  assert.equal(url.searchParams.get("state"), "st");
});

test("the redirect URI is the page without query or fragment", () => {
  assert.equal(redirectUriOf("https://kd.example/activity/?room=r&code=c#x"), "https://kd.example/activity/");
});

test("behind Discord's proxy the page is the root and the API goes through /.proxy", () => {
  assert.equal(behindDiscordProxy("/"), true);
  assert.equal(apiBase("/"), "/.proxy/api/v1");
  assert.equal(apiBase("/index.html"), "/.proxy/api/v1");
});

test("served by the app itself the page is under /activity and calls /api/v1", () => {
  assert.equal(behindDiscordProxy("/activity/"), false);
  assert.equal(apiBase("/activity/"), "/api/v1");
  assert.equal(apiBase("/activity/index.html"), "/api/v1");
  assert.equal(apiBase("/activityx/"), "/.proxy/api/v1");
});
