/**
 * The arithmetic of watching together, free of the DOM, the network and the player, so
 * that it can be unit tested: how far this clock is from the server's, where the room's
 * video is now, and what a participant's player must do to be there.
 *
 * Every participant follows one timeline, the room's `playback`: while playing, the
 * position at server time `now` is `position_ms + (now - at_ms)`. The host's actions
 * move that timeline; everyone (the host too) keeps their player on it.
 */

/** The room's playback as the server keeps it (spec: `playback`). */
export interface Playback {
  playing: boolean;
  /** The position at server time `at_ms`. */
  position_ms: number;
  /** Server time (unix ms) at which `position_ms` held. */
  at_ms: number;
}

/** One round trip to `GET /api/v1/time`: when it left and came back on the local clock, and what the server said. */
export interface ClockSample {
  sentAtMs: number;
  receivedAtMs: number;
  serverNowMs: number;
}

/** How far the server's clock is ahead of the local one, and how sure we are (the round trip it came from). */
export interface ClockOffset {
  /** server time = local time + offsetMs */
  offsetMs: number;
  /** The round trip of the sample the offset came from: the offset is right within half of it. */
  rttMs: number;
}

/**
 * NTP's estimate from one sample: the server read its clock half way through the round
 * trip, so its time then is the local mid-point plus the offset.
 */
export function offsetFromSample(sample: ClockSample): ClockOffset {
  const rttMs = Math.max(0, sample.receivedAtMs - sample.sentAtMs);
  const midpoint = sample.sentAtMs + rttMs / 2;
  return { offsetMs: sample.serverNowMs - midpoint, rttMs };
}

/**
 * The best estimate from several samples: the one with the shortest round trip, whose
 * error bound (half its round trip) is the smallest. `null` without samples.
 */
export function bestOffset(samples: readonly ClockSample[]): ClockOffset | null {
  let best: ClockOffset | null = null;
  for (const sample of samples) {
    if (sample.receivedAtMs < sample.sentAtMs) continue;
    const candidate = offsetFromSample(sample);
    if (best === null || candidate.rttMs < best.rttMs) best = candidate;
  }
  return best;
}

/**
 * Keeps the most recent samples (a window, so that a clock that drifts is followed) and
 * answers the best offset among them.
 */
export class ClockEstimator {
  private samples: ClockSample[] = [];

  /** `window`: how many recent samples are considered. */
  constructor(private readonly window = 16) {}

  /** Adds one round trip. */
  add(sample: ClockSample): void {
    this.samples.push(sample);
    if (this.samples.length > this.window) this.samples.splice(0, this.samples.length - this.window);
  }

  /** The current estimate; `null` before the first sample. */
  estimate(): ClockOffset | null {
    return bestOffset(this.samples);
  }
}

/**
 * Where the room's video is at server time `serverNowMs`: paused, where it was paused;
 * playing, moved on by the time since (never backwards, never past `durationMs` when
 * it is known).
 */
export function expectedPositionMs(playback: Playback, serverNowMs: number, durationMs?: number): number {
  let position = playback.position_ms;
  if (playback.playing) position += Math.max(0, serverNowMs - playback.at_ms);
  if (durationMs !== undefined && Number.isFinite(durationMs) && durationMs > 0) {
    position = Math.min(position, durationMs);
  }
  return Math.max(0, position);
}

/** How hard the followers chase the timeline. */
export interface SyncTuning {
  /** Within this, nothing is done (the players' own jitter). */
  toleranceMs: number;
  /** Beyond this, the player seeks; within it, the playback rate is nudged. */
  seekAboveMs: number;
  /** The largest change of playback rate a nudge makes (0.1: between 0.9 and 1.1). */
  maxRateDelta: number;
  /** A nudge aims to close the gap over about this long. */
  catchUpMs: number;
  /** After a seek, no other seek for this long (the player needs time to get there). */
  seekCooldownMs: number;
}

/** The tuning the page uses: a gap over 400 ms is a seek, anything above 30 ms is nudged away within about a second. */
export const DEFAULT_TUNING: SyncTuning = {
  toleranceMs: 30,
  seekAboveMs: 400,
  maxRateDelta: 0.1,
  catchUpMs: 1000,
  seekCooldownMs: 1500,
};

/** What a participant's player is doing, as the correction needs it. */
export interface PlayerView {
  /** Its position now, in ms. */
  positionMs: number;
  paused: boolean;
  /** How long its last seek took to land (used as a lead when seeking while playing). */
  seekLeadMs: number;
  /** Time since this page last made the player seek; `Infinity` if never. */
  sinceLastSeekMs: number;
}

/** What to do to the player: each field present is one thing to do. */
export interface Correction {
  /** Seek to this position (ms). */
  seekToMs?: number;
  /** Start or stop playing. */
  play?: boolean;
  /** The playback rate to set. */
  rate: number;
  /** The gap found, player minus timeline (ms): positive is ahead. */
  driftMs: number;
}

/**
 * The one decision of sync: given where the timeline is (`expectedMs`, and whether it
 * plays) and what the player does, what to change. Paused: be exactly at the paused
 * position. Playing: play; seek when the gap is large (aiming ahead by the time a seek
 * takes), otherwise nudge the rate in proportion to the gap, so that it closes without
 * a jump.
 */
export function decideCorrection(
  expectedMs: number,
  playing: boolean,
  player: PlayerView,
  tuning: SyncTuning = DEFAULT_TUNING,
): Correction {
  const driftMs = player.positionMs - expectedMs;
  const gap = Math.abs(driftMs);
  if (!playing) {
    const correction: Correction = { rate: 1, driftMs };
    if (!player.paused) correction.play = false;
    if (gap > tuning.toleranceMs) correction.seekToMs = expectedMs;
    return correction;
  }
  const correction: Correction = { rate: 1, driftMs };
  if (player.paused) {
    correction.play = true;
    // Starting takes about as long as seeking; start where the timeline will be.
    if (gap > tuning.toleranceMs) correction.seekToMs = expectedMs + player.seekLeadMs;
    return correction;
  }
  if (gap > tuning.seekAboveMs && player.sinceLastSeekMs >= tuning.seekCooldownMs) {
    correction.seekToMs = expectedMs + player.seekLeadMs;
    return correction;
  }
  if (gap > tuning.toleranceMs) {
    const delta = clamp(-driftMs / tuning.catchUpMs, -tuning.maxRateDelta, tuning.maxRateDelta);
    correction.rate = round3(1 + delta);
  }
  return correction;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * The position a host reports with a control: where its player is, plus, while
 * playing, the time the request takes to reach the server (half a round trip), since
 * the server stamps the position with its own time on arrival.
 */
export function reportedPositionMs(playerPositionMs: number, playing: boolean, rttMs: number): number {
  const lead = playing ? Math.max(0, rttMs / 2) : 0;
  return Math.max(0, Math.round(playerPositionMs + lead));
}
