import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ClockEstimator,
  DEFAULT_TUNING,
  bestOffset,
  decideCorrection,
  expectedPositionMs,
  offsetFromSample,
  reportedPositionMs,
  type PlayerView,
} from "../src/sync.ts";

const settled: PlayerView = { positionMs: 0, paused: false, seekLeadMs: 0, sinceLastSeekMs: Infinity };

test("an offset is the server time minus the local mid-point of the round trip", () => {
  const offset = offsetFromSample({ sentAtMs: 1000, receivedAtMs: 1100, serverNowMs: 5050 });
  assert.deepEqual(offset, { offsetMs: 4000, rttMs: 100 });
});

test("the best offset comes from the sample with the shortest round trip", () => {
  const best = bestOffset([
    { sentAtMs: 0, receivedAtMs: 300, serverNowMs: 10_400 }, // rtt 300, offset 10250
    { sentAtMs: 1000, receivedAtMs: 1020, serverNowMs: 11_010 }, // rtt 20, offset 10000
    { sentAtMs: 2000, receivedAtMs: 2100, serverNowMs: 12_000 }, // rtt 100, offset 9950
  ]);
  assert.deepEqual(best, { offsetMs: 10_000, rttMs: 20 });
});

test("a sample that came back before it left is ignored, and no samples give no offset", () => {
  assert.equal(bestOffset([]), null);
  assert.equal(bestOffset([{ sentAtMs: 10, receivedAtMs: 5, serverNowMs: 0 }]), null);
});

test("the estimator forgets samples older than its window", () => {
  const clock = new ClockEstimator(2);
  clock.add({ sentAtMs: 0, receivedAtMs: 2, serverNowMs: 501 }); // rtt 2, offset 500
  clock.add({ sentAtMs: 10, receivedAtMs: 60, serverNowMs: 735 }); // rtt 50, offset 700
  assert.equal(clock.estimate()?.offsetMs, 500);
  clock.add({ sentAtMs: 100, receivedAtMs: 140, serverNowMs: 820 }); // rtt 40, offset 700
  assert.deepEqual(clock.estimate(), { offsetMs: 700, rttMs: 40 });
});

test("a playing timeline moves on with server time, a paused one stays", () => {
  const playing = { playing: true, position_ms: 10_000, at_ms: 1_000_000 };
  assert.equal(expectedPositionMs(playing, 1_002_500), 12_500);
  assert.equal(expectedPositionMs({ ...playing, playing: false }, 1_002_500), 10_000);
});

test("the expected position never goes backwards before at_ms nor past the end", () => {
  const playing = { playing: true, position_ms: 10_000, at_ms: 1_000_000 };
  assert.equal(expectedPositionMs(playing, 999_000), 10_000);
  assert.equal(expectedPositionMs(playing, 1_100_000, 60_000), 60_000);
});

test("a player within the tolerance is left alone at normal speed", () => {
  const correction = decideCorrection(10_000, true, { ...settled, positionMs: 10_020 });
  assert.deepEqual(correction, { rate: 1, driftMs: 20 });
});

test("a player a little behind plays faster, one a little ahead slower, in proportion", () => {
  const behind = decideCorrection(10_000, true, { ...settled, positionMs: 9_950 });
  assert.equal(behind.rate, 1.05);
  assert.equal(behind.seekToMs, undefined);
  const ahead = decideCorrection(10_000, true, { ...settled, positionMs: 10_080 });
  assert.equal(ahead.rate, 0.92);
});

test("a nudge never changes the rate by more than the tuning allows", () => {
  const behind = decideCorrection(10_000, true, { ...settled, positionMs: 9_700 });
  assert.equal(behind.rate, 1 + DEFAULT_TUNING.maxRateDelta);
  const ahead = decideCorrection(10_000, true, { ...settled, positionMs: 10_350 });
  assert.equal(ahead.rate, 1 - DEFAULT_TUNING.maxRateDelta);
});

test("a player far off seeks to the timeline plus the time its seeks take", () => {
  const correction = decideCorrection(10_000, true, { ...settled, positionMs: 4_000, seekLeadMs: 120 });
  assert.equal(correction.seekToMs, 10_120);
  assert.equal(correction.rate, 1);
});

test("a player that has just seeked is nudged instead of seeking again", () => {
  const correction = decideCorrection(10_000, true, { ...settled, positionMs: 9_000, sinceLastSeekMs: 200 });
  assert.equal(correction.seekToMs, undefined);
  assert.equal(correction.rate, 1.1);
});

test("a paused player joins a playing room where the timeline is", () => {
  const correction = decideCorrection(30_000, true, { ...settled, positionMs: 0, paused: true, seekLeadMs: 50 });
  assert.deepEqual(correction, { play: true, seekToMs: 30_050, rate: 1, driftMs: -30_000 });
});

test("a playing player in a paused room stops exactly at the paused position", () => {
  const correction = decideCorrection(30_000, false, { ...settled, positionMs: 30_200 });
  assert.deepEqual(correction, { play: false, seekToMs: 30_000, rate: 1, driftMs: 200 });
});

test("a paused player at the paused position is left alone", () => {
  const correction = decideCorrection(30_000, false, { ...settled, positionMs: 30_010, paused: true });
  assert.deepEqual(correction, { rate: 1, driftMs: 10 });
});

test("a host reports its position ahead by the one-way trip while playing, as is while paused", () => {
  assert.equal(reportedPositionMs(10_000.4, true, 80), 10_040);
  assert.equal(reportedPositionMs(10_000.4, false, 80), 10_000);
});
