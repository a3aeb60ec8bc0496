/**
 * One member in one watch room: keeps the clock offset to the server, long-polls the
 * room's state, keeps the player on the room's timeline, and sends the host's actions.
 * The arithmetic is in `sync.ts`; this module only schedules it and talks to the API.
 */
import { Api, ApiError } from "./api.ts";
import type { VideoPlayer } from "./player.ts";
import { ClockEstimator, decideCorrection, expectedPositionMs, reportedPositionMs, type Playback } from "./sync.ts";

/** A viewer as the room lists it. */
export interface ViewerPresence {
  user_id: string;
  display_name: string;
  joined_at_ms: number;
  last_seen_ms: number;
}

/** The room's state (spec: `room-state`). */
export interface RoomState {
  room: string;
  guild_id: string;
  entry_id: string;
  host_id: string;
  playback: Playback;
  version: number;
  viewers: ViewerPresence[];
  server_now_ms: number;
}

/** What the room tells the page. */
export interface RoomEvents {
  state(state: RoomState): void;
  /** The room cannot be followed any more (signed out, refused, removed). */
  failed(error: unknown): void;
  /** The browser refused to start playback without a click. */
  needsGesture(): void;
  /** Joins the room again (the same request as the first join). */
  rejoin(): Promise<RoomState>;
}

/** A host action on the timeline. */
export type Action = "play" | "pause" | "seek";

/** How long a long-poll may wait: well under the 15 s after which the room thinks a viewer left. */
const WAIT_MS = 10000;
/** Corrections per second: 4. */
const TICK_MS = 250;
/** Clock samples at start, then one every 20 s. */
const FIRST_SAMPLES = 5;
const RESAMPLE_MS = 20000;
/** Player events this soon after the page moved the player itself are its own, not the member's. */
const OWN_EVENT_MS = 700;
/** The longest a host's own seek (with the player's controls) may take before the page corrects it. */
const SEEK_GRACE_MS = 2000;

/** Local monotonic time in unix ms (does not jump when the system clock is set). */
export function localNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The sync loop of one room. */
export class Room {
  private clock = new ClockEstimator(16);
  private state: RoomState;
  private player: VideoPlayer | null = null;
  private stopped = false;
  private poll: AbortController | null = null;
  private timers: ReturnType<typeof setInterval>[] = [];
  private lastSeekAt = -Infinity;
  private seekLeadMs = 0;
  private seekStartedAt: number | null = null;
  private ownUntil = 0;
  /** Until when a seek the host started with the player's own controls is under way
   * (between `seeking` and `seeked`): the host is not corrected back meanwhile. */
  private memberSeekUntil = 0;
  private blocked = false;
  private controlling = 0;
  private sending: Promise<void> = Promise.resolve();
  /** The last drift measured (player minus timeline, ms), for the page and for tests. */
  driftMs = 0;

  constructor(
    private readonly api: Api,
    private readonly name: string,
    initial: RoomState,
    private readonly events: RoomEvents,
  ) {
    this.state = initial;
  }

  /** The latest state. */
  current(): RoomState {
    return this.state;
  }

  /** Whether this member hosts now. */
  isHost(): boolean {
    return this.state.host_id === this.api.userId();
  }

  /** Server time now, by the best offset so far (local time before the first sample). */
  serverNowMs(): number {
    return localNowMs() + (this.clock.estimate()?.offsetMs ?? 0);
  }

  /** Where the room's video is now. */
  expectedMs(): number {
    return expectedPositionMs(this.state.playback, this.serverNowMs(), this.player?.durationMs());
  }

  /** Samples the clock, then polls and corrects until `stop`. */
  async start(): Promise<void> {
    for (let i = 0; i < FIRST_SAMPLES; i++) await this.sampleClock();
    this.timers.push(setInterval(() => void this.sampleClock(), RESAMPLE_MS));
    this.timers.push(setInterval(() => this.correct(), TICK_MS));
    void this.pollLoop();
  }

  /** Drives `player` from now on (the room works without one: the page then shows the link). */
  attach(player: VideoPlayer): void {
    this.player = player;
    player.on("seeking", () => {
      if (localNowMs() >= this.ownUntil && this.isHost()) this.memberSeekUntil = localNowMs() + SEEK_GRACE_MS;
    });
    player.on("seeked", () => {
      if (this.seekStartedAt !== null) {
        const took = localNowMs() - this.seekStartedAt;
        this.seekLeadMs = Math.min(1000, Math.round(this.seekLeadMs * 0.5 + took * 0.5));
        this.seekStartedAt = null;
      }
      this.memberMoved("seek");
      this.memberSeekUntil = 0;
    });
    player.on("play", () => this.memberMoved("play"));
    player.on("pause", () => this.memberMoved("pause"));
    this.correct();
  }

  /** After a click, playback may start (browsers refuse it before one). */
  unblock(): void {
    this.blocked = false;
    this.correct();
  }

  /** The host's action: moves the timeline here at once, then on the server (`control` with the version seen). */
  async act(action: Action, positionMs?: number): Promise<void> {
    if (!this.isHost()) return;
    const playing = action === "play" ? true : action === "pause" ? false : this.state.playback.playing;
    const here = positionMs ?? this.player?.positionMs() ?? this.expectedMs();
    const rtt = this.clock.estimate()?.rttMs ?? 0;
    const position = reportedPositionMs(here, playing, rtt);
    this.adopt({ ...this.state, playback: { playing, position_ms: position, at_ms: Math.round(this.serverNowMs() + (playing ? rtt / 2 : 0)) } }, true);
    this.correct();
    this.controlling += 1;
    // One control at a time, each with the version the previous one produced.
    const send = async (): Promise<void> => {
      let retake = false;
      try {
        const next = await this.api.call<RoomState>("POST", `/watch/rooms/${this.name}/control`, {
          action,
          position_ms: position,
          expected_version: this.state.version,
        });
        this.adopt(next);
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          this.events.failed(error);
        } else {
          // Someone else moved first (409), this member no longer hosts (403), or the
          // request did not go through (429, 5xx, network): take the room's word.
          retake = true;
        }
      } finally {
        this.controlling -= 1;
      }
      if (retake) await this.refresh().catch(() => undefined);
    };
    this.sending = this.sending.then(send);
    await this.sending;
  }

  /** The host gives the room to `userId`. */
  async handOver(userId: string): Promise<void> {
    this.adopt(await this.api.call<RoomState>("POST", `/watch/rooms/${this.name}/host`, { user_id: userId }));
  }

  /** Leaves the room (also when the page closes: a keepalive request). */
  leave(): void {
    this.stop();
    void this.api.call("POST", `/watch/rooms/${this.name}/leave`, {}, { keepalive: true }).catch(() => undefined);
  }

  /** Stops polling and correcting. */
  stop(): void {
    this.stopped = true;
    this.poll?.abort();
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  private async refresh(): Promise<void> {
    this.adopt(await this.api.call<RoomState>("GET", `/watch/rooms/${this.name}`), true);
  }

  private async sampleClock(): Promise<void> {
    try {
      const sentAtMs = localNowMs();
      const answer = await this.api.call<{ now_ms: number }>("GET", "/time");
      const receivedAtMs = localNowMs();
      if (typeof answer?.now_ms === "number") this.clock.add({ sentAtMs, receivedAtMs, serverNowMs: answer.now_ms });
    } catch {
      // A missed sample only keeps the older estimate.
    }
  }

  private async pollLoop(): Promise<void> {
    let failures = 0;
    let rejoined = false;
    while (!this.stopped) {
      this.poll = new AbortController();
      try {
        const next = await this.api.call<RoomState>(
          "GET",
          `/watch/rooms/${this.name}?after=${this.state.version}&wait_ms=${WAIT_MS}`,
          undefined,
          { signal: this.poll.signal },
        );
        failures = 0;
        rejoined = false;
        this.adopt(next);
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof ApiError && error.status === 404 && !rejoined) {
          // The room forgot this viewer (away longer than its presence timeout): join again, once.
          rejoined = true;
          try {
            this.adopt(await this.events.rejoin(), true);
            continue;
          } catch (again) {
            error = again;
          }
        }
        if (error instanceof ApiError && [401, 403, 404].includes(error.status)) {
          this.stop();
          this.events.failed(error);
          return;
        }
        failures += 1;
        await sleep(Math.min(8000, 500 * 2 ** Math.min(failures, 4)));
      }
    }
  }

  /** Takes a state if it is newer (or forced: the host's own optimistic move). */
  private adopt(next: RoomState, optimistic = false): void {
    if (!optimistic && next.version < this.state.version) return;
    // While the host's own move is on its way, the same version is the room before it.
    if (!optimistic && this.controlling > 0 && next.version === this.state.version) return;
    this.state = next;
    this.events.state(next);
    this.correct();
  }

  /** One correction: keeps the player on the timeline. */
  private correct(): void {
    const player = this.player;
    if (player === null || this.stopped) return;
    const now = localNowMs();
    // The host is moving the player itself: its `seeked` will tell the room.
    if (now < this.memberSeekUntil && this.isHost()) return;
    const { playback } = this.state;
    const expected = this.expectedMs();
    const decision = decideCorrection(expected, playback.playing, {
      positionMs: player.positionMs(),
      paused: player.paused(),
      seekLeadMs: this.seekLeadMs,
      sinceLastSeekMs: now - this.lastSeekAt,
    });
    this.driftMs = decision.driftMs;
    if (decision.seekToMs !== undefined) {
      this.ownUntil = now + OWN_EVENT_MS;
      this.lastSeekAt = now;
      this.seekStartedAt = now;
      player.seekMs(decision.seekToMs);
    }
    if (decision.play === true && !this.blocked) {
      this.ownUntil = now + OWN_EVENT_MS;
      player.play().catch(() => {
        this.blocked = true;
        this.events.needsGesture();
      });
    } else if (decision.play === false) {
      this.ownUntil = now + OWN_EVENT_MS;
      player.pause();
    }
    player.setRate(decision.rate);
  }

  /** A player event the page did not cause: the member used the player's own controls. */
  private memberMoved(action: Action): void {
    if (localNowMs() < this.ownUntil || this.player === null) return;
    if (this.isHost()) {
      void this.act(action, this.player.positionMs());
    } else {
      // Followers follow: put the player back on the timeline.
      this.correct();
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
