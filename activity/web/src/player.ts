/**
 * Kaltura's v7 player, loaded from the script the gateway names (`player_script_url`),
 * behind the small interface sync needs. Anything that keeps it from loading (script
 * refused or missing, `setup` or `loadMedia` failing, a timeout) rejects, so the page
 * shows the Kaltura link instead of a blank frame.
 */

/** The part of Kaltura's player API the page uses (the fake player in tests implements the same). */
interface KalturaPlayerInstance {
  loadMedia(media: { entryId: string; ks?: string }): Promise<unknown> | unknown;
  play(): Promise<void> | void;
  pause(): void;
  currentTime: number;
  playbackRate: number;
  readonly paused: boolean;
  readonly duration: number;
  addEventListener(type: string, listener: () => void): void;
}

interface KalturaPlayerGlobal {
  setup(config: unknown): KalturaPlayerInstance;
}

declare global {
  interface Window {
    KalturaPlayer?: KalturaPlayerGlobal;
  }
}

/** The player as sync drives it, in milliseconds. */
export interface VideoPlayer {
  positionMs(): number;
  paused(): boolean;
  /** Known length, or `undefined` before the media says. */
  durationMs(): number | undefined;
  /** Starts playing; rejects when the browser wants a click first. */
  play(): Promise<void>;
  pause(): void;
  seekMs(positionMs: number): void;
  setRate(rate: number): void;
  /** `play`, `pause`, `seeked` (and the others the media element fires). */
  on(event: string, listener: () => void): void;
}

/** What the player needs from the member's playback session. */
export interface PlayerSource {
  scriptUrl: string;
  partnerId: number | string;
  uiconfId: number | string;
  entryId: string;
  ks: string;
}

/** Loads the script (once), sets the player up in `targetId` and loads the entry; rejects within `timeoutMs`. */
export async function loadPlayer(source: PlayerSource, targetId: string, timeoutMs = 15000): Promise<VideoPlayer> {
  return withTimeout(
    (async () => {
      if (window.KalturaPlayer === undefined) await loadScript(source.scriptUrl);
      const global = window.KalturaPlayer;
      if (global === undefined || typeof global.setup !== "function") {
        throw new Error("the player script did not define KalturaPlayer");
      }
      const player = global.setup({
        targetId,
        provider: { partnerId: Number(source.partnerId), uiConfId: Number(source.uiconfId), ks: source.ks },
        playback: { autoplay: false, preload: "auto" },
      });
      await player.loadMedia({ entryId: source.entryId, ks: source.ks });
      return wrap(player);
    })(),
    timeoutMs,
  );
}

function wrap(player: KalturaPlayerInstance): VideoPlayer {
  return {
    positionMs: () => (Number.isFinite(player.currentTime) ? player.currentTime * 1000 : 0),
    paused: () => player.paused,
    durationMs: () => (Number.isFinite(player.duration) && player.duration > 0 ? player.duration * 1000 : undefined),
    play: async () => {
      await player.play();
    },
    pause: () => player.pause(),
    seekMs: (positionMs) => {
      player.currentTime = Math.max(0, positionMs) / 1000;
    },
    setRate: (rate) => {
      if (player.playbackRate !== rate) player.playbackRate = rate;
    },
    on: (event, listener) => player.addEventListener(event, listener),
  };
}

function loadScript(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.async = true;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error("the player script could not be loaded"));
    document.head.append(script);
  });
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the player took too long to load")), timeoutMs);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
