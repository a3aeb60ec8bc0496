import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiError, type Api } from "../src/api.ts";
import type { VideoPlayer } from "../src/player.ts";
import { Room, localNowMs, type RoomState } from "../src/room.ts";

const ME = "333333333333333331";
const OTHER = "333333333333333332";

function state(overrides: Partial<RoomState> = {}): RoomState {
  return {
    room: "c-1",
    guild_id: "1",
    entry_id: "0_a",
    host_id: OTHER,
    playback: { playing: false, position_ms: 0, at_ms: Date.now() },
    version: 3,
    viewers: [
      { user_id: OTHER, display_name: "other", joined_at_ms: 1, last_seen_ms: 1 },
      { user_id: ME, display_name: "me", joined_at_ms: 2, last_seen_ms: 2 },
    ],
    server_now_ms: Date.now(),
    ...overrides,
  };
}

/** A gateway answering from `routes` (method and path without query → answer or error); records every call. */
function fakeApi(routes: (method: string, path: string, body: unknown) => unknown) {
  const calls: { method: string; path: string; body: unknown }[] = [];
  const api = {
    userId: () => ME,
    call: async (method: string, path: string, body?: unknown) => {
      calls.push({ method, path, body });
      if (path === "/time") return { now_ms: localNowMs() };
      const answer = routes(method, path.split("?")[0] ?? path, body);
      if (answer instanceof Error) throw answer;
      if (answer instanceof Promise) return answer;
      return answer;
    },
  };
  return { api: api as unknown as Api, calls };
}

/** A player that plays on the wall clock and records what it was told; a seek ends
 * (`seeked`) after `seekStallMs`. */
function fakePlayer(startMs = 0, seekStallMs = 5) {
  let position = startMs;
  let anchor = Date.now();
  let paused = true;
  const seeks: number[] = [];
  const listeners = new Map<string, (() => void)[]>();
  const now = () => (paused ? position : position + (Date.now() - anchor));
  const emit = (event: string) => (listeners.get(event) ?? []).forEach((listener) => listener());
  const player: VideoPlayer = {
    positionMs: now,
    paused: () => paused,
    durationMs: () => 3_600_000,
    play: async () => {
      if (!paused) return;
      position = now();
      anchor = Date.now();
      paused = false;
      emit("play");
    },
    pause: () => {
      if (paused) return;
      position = now();
      paused = true;
      emit("pause");
    },
    seekMs: (ms) => {
      seeks.push(ms);
      position = ms;
      anchor = Date.now();
      setTimeout(() => emit("seeked"), seekStallMs);
    },
    setRate: () => undefined,
    on: (event, listener) => listeners.set(event, [...(listeners.get(event) ?? []), listener]),
  };
  return { player, seeks, emit, isPaused: () => paused, userPause: () => { position = now(); paused = true; emit("pause"); } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const never = () => new Promise(() => undefined);
const events = (rejoin: () => Promise<RoomState> = () => Promise.reject(new Error("no"))) => ({
  failures: [] as unknown[],
  state: () => undefined,
  failed(error: unknown) {
    this.failures.push(error);
  },
  needsGesture: () => undefined,
  rejoin,
});

test("a follower joining a playing room starts where the room is", async (t) => {
  const playing = state({ playback: { playing: true, position_ms: 60_000, at_ms: Date.now() - 5_000 } });
  const { api } = fakeApi((method) => (method === "GET" ? never() : playing));
  const room = new Room(api, "c-1", playing, events());
  t.after(() => room.stop());
  const { player, seeks, isPaused } = fakePlayer();
  await room.start();
  room.attach(player);
  await sleep(50);
  assert.equal(isPaused(), false);
  assert.equal(seeks.length, 1);
  assert.ok(Math.abs(player.positionMs() - room.expectedMs()) < 100, `${player.positionMs()} vs ${room.expectedMs()}`);
});

test("the host's play moves its player at once and is sent with the version it saw", async (t) => {
  const mine = state({ host_id: ME, playback: { playing: false, position_ms: 10_000, at_ms: Date.now() } });
  const { api, calls } = fakeApi((method, path, body) => {
    if (method === "GET") return never();
    if (path.endsWith("/control")) return state({ host_id: ME, version: 4, playback: { playing: true, position_ms: (body as { position_ms: number }).position_ms, at_ms: localNowMs() } });
    return mine;
  });
  const room = new Room(api, "c-1", mine, events());
  t.after(() => room.stop());
  const { player, isPaused } = fakePlayer(0);
  await room.start();
  room.attach(player);
  await room.act("play");
  assert.equal(isPaused(), false);
  const control = calls.find((c) => c.path.endsWith("/control"));
  assert.deepEqual({ ...(control?.body as object), position_ms: 0 }, { action: "play", position_ms: 0, expected_version: 3 });
  assert.ok(Math.abs((control?.body as { position_ms: number }).position_ms - 10_000) < 50);
  assert.equal(room.current().version, 4);
});

test("a follower cannot move the room: its controls send nothing and its own pause is undone", async (t) => {
  const playing = state({ playback: { playing: true, position_ms: 0, at_ms: Date.now() } });
  const { api, calls } = fakeApi((method) => (method === "GET" ? never() : playing));
  const room = new Room(api, "c-1", playing, events());
  t.after(() => room.stop());
  const fake = fakePlayer();
  await room.start();
  room.attach(fake.player);
  await sleep(800);
  await room.act("pause");
  fake.userPause();
  await sleep(50);
  assert.equal(fake.isPaused(), false);
  assert.equal(calls.filter((c) => c.path.endsWith("/control")).length, 0);
});

test("a stale version takes the room's state instead of the host's move", async (t) => {
  const mine = state({ host_id: ME });
  const newer = state({ host_id: ME, version: 7, playback: { playing: false, position_ms: 42_000, at_ms: Date.now() } });
  const { api } = fakeApi((method, path) => {
    if (method === "GET" && path === "/watch/rooms/c-1" ) return newer;
    if (path.endsWith("/control")) return new ApiError(409, "conflict", "stale");
    return mine;
  });
  const ev = events();
  const room = new Room(api, "c-1", mine, ev);
  t.after(() => room.stop());
  const fake = fakePlayer();
  room.attach(fake.player);
  await room.act("play");
  assert.equal(room.current().version, 7);
  assert.equal(room.current().playback.position_ms, 42_000);
  assert.equal(ev.failures.length, 0);
});

test("a poll answered 404 (the room forgot this viewer) joins again once", async (t) => {
  let polls = 0;
  const rejoined = state({ version: 9 });
  const { api } = fakeApi((method) => {
    if (method !== "GET") return state();
    polls += 1;
    return polls === 1 ? new ApiError(404, "not_found", "gone") : never();
  });
  let joins = 0;
  const ev = events(async () => {
    joins += 1;
    return rejoined;
  });
  const room = new Room(api, "c-1", state(), ev);
  t.after(() => room.stop());
  await room.start();
  await sleep(50);
  assert.equal(joins, 1);
  assert.equal(room.current().version, 9);
  assert.equal(ev.failures.length, 0);
});

test("a poll refused for good stops the room and says so", async (t) => {
  const { api } = fakeApi((method) => (method === "GET" ? new ApiError(403, "forbidden", "no") : state()));
  const ev = events();
  const room = new Room(api, "c-1", state(), ev);
  t.after(() => room.stop());
  await room.start();
  await sleep(50);
  assert.equal(ev.failures.length, 1);
});

test("the host seeking with the player's own controls is not corrected back before its seek ends", async (t) => {
  const mine = state({ host_id: ME, playback: { playing: false, position_ms: 10_000, at_ms: Date.now() } });
  const { api, calls } = fakeApi((method, path, body) => {
    if (method === "GET") return never();
    if (path.endsWith("/control")) return state({ host_id: ME, version: 4, playback: { playing: false, position_ms: (body as { position_ms: number }).position_ms, at_ms: localNowMs() } });
    return mine;
  });
  const room = new Room(api, "c-1", mine, events());
  t.after(() => room.stop());
  const { player, seeks, emit } = fakePlayer(10_000, 600);
  await room.start();
  room.attach(player);
  await sleep(800);
  const before = seeks.length;
  // The member drags the player's own seek bar: `seeking` now, `seeked` 600 ms later,
  // with the page's correction ticks in between.
  player.seekMs(300_000);
  seeks.pop();
  emit("seeking");
  await sleep(700);
  assert.equal(seeks.length, before, "the page did not seek the host back meanwhile");
  const control = calls.find((c) => c.path.endsWith("/control"));
  assert.equal((control?.body as { action: string }).action, "seek");
  assert.ok(Math.abs((control?.body as { position_ms: number }).position_ms - 300_000) < 1000);
});
