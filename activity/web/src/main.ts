/**
 * The Watch together page: finds out how it was opened, signs the member in (through
 * Discord's Embedded App SDK inside Discord, or Discord's OAuth2 in a browser), joins
 * the room, loads the member's Kaltura player and keeps it in sync with everyone.
 */
import { DiscordSDK, attemptRemap, patchUrlMappings } from "@discord/embedded-app-sdk";
import { Api, ApiError, type Session } from "./api.ts";
import { apiBase, authorizeUrl, behindDiscordProxy, browserRoomQuery, parseLaunch, redirectUriOf, type BrowserLaunch, type Launch } from "./launch.ts";
import { kalturaLink, proxyMappings, type PlaybackSession, type UrlMapping } from "./links.ts";
import { explain, type Step } from "./messages.ts";
import { loadPlayer, type VideoPlayer } from "./player.ts";
import { Room, type RoomState } from "./room.ts";
import { View } from "./view.ts";

/** `GET /api/v1/activity/config`. */
interface ActivityConfig {
  application_id: string;
  oauth_authorize_url: string;
  /** Optional: the deployment's own URL mappings (else `/kaltura-cdn` for the player's host). */
  url_mappings?: UrlMapping[];
}

/** Where the sign-in started, kept for Discord's redirect back (the state ties it to this tab). */
const PENDING_KEY = "kd.activity.pending";
const SESSION_KEY = "kd.activity.session";

class Failure extends Error {
  constructor(
    readonly step: Step,
    readonly reason: unknown,
  ) {
    super(step);
  }
}

async function at<T>(step: Step, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new Failure(step, error);
  }
}

let room: Room | null = null;
let player: VideoPlayer | null = null;

const view = new View({
  toggle: () => void room?.act(room.current().playback.playing ? "pause" : "play"),
  skip: (deltaMs) => {
    if (room !== null) void room.act("seek", Math.max(0, room.expectedMs() + deltaMs));
  },
  seek: (positionMs) => void room?.act("seek", positionMs),
  handOver: (userId) => void room?.handOver(userId).catch(() => view.say("The host could not be handed over; try again.")),
  start: () => room?.unblock(),
  retry: () => location.reload(),
});

function rerender(state: RoomState): void {
  const position = room?.expectedMs() ?? 0;
  view.render(state, apiSingleton.userId(), position, player?.durationMs(), player !== null);
}

const apiSingleton = new Api(apiBase(location.pathname));

async function main(): Promise<void> {
  const launch = restoreLaunch(parseLaunch(location.search));
  if (launch.mode === "invalid") {
    view.fail(launch.problem);
    return;
  }
  const api = apiSingleton;
  view.say("Connecting…");
  const config = await at("config", () => api.call<ActivityConfig>("GET", "/activity/config"));

  let roomName: string;
  let join: { channel_id?: string; entry_id?: string } = {};
  let openLink: ((url: string) => void) | undefined;
  if (launch.mode === "discord") {
    const sdk = new DiscordSDK(config.application_id);
    view.say("Waiting for Discord…");
    const ready = await Promise.race([sdk.ready().then(() => true), sleep(15000).then(() => false)]);
    if (!ready) {
      view.fail("Discord did not answer this Activity. Close it and start it again from the voice channel.", { retry: true });
      return;
    }
    if (sdk.guildId === null) {
      view.fail("Open Watch together from a voice channel of a Discord server.");
      return;
    }
    const guildId = sdk.guildId;
    view.say("Signing in with Discord…");
    const { code } = await at("sign-in", () =>
      sdk.commands.authorize({ client_id: config.application_id, response_type: "code", state: "", prompt: "none", scope: ["identify"] }),
    );
    const session = await at("sign-in", () => api.call<Session>("POST", "/auth/discord/activity", { code, guild_id: guildId }));
    api.signedIn(session);
    await at("sign-in", () => sdk.commands.authenticate({ access_token: session.discord_access_token ?? null }));
    roomName = launch.room;
    if (sdk.channelId !== null) join = { channel_id: sdk.channelId };
    openLink = (url) => void sdk.commands.openExternalLink({ url }).catch(() => window.open(url, "_blank", "noopener"));
  } else {
    const signedIn = await browserSignIn(api, config, launch);
    if (!signedIn) return;
    roomName = launch.room;
    if (launch.entryId !== null) join = { entry_id: launch.entryId };
  }

  view.say("Joining the room…");
  const state = await at("join", () => api.call<RoomState>("POST", `/watch/rooms/${roomName}/join`, join));
  room = new Room(api, roomName, state, {
    state: rerender,
    failed: (error) => report(new Failure("room", error)),
    needsGesture: () => view.needsGesture(),
    rejoin: () => api.call<RoomState>("POST", `/watch/rooms/${roomName}/join`, join),
  });
  view.joined();
  rerender(state);
  window.addEventListener("pagehide", () => room?.leave());
  void room.start();
  setInterval(() => {
    if (room !== null) rerender(room.current());
  }, 500);

  view.say("Loading the video…");
  let session: PlaybackSession;
  try {
    session = await api.call<PlaybackSession>("POST", `/media/${encodeURIComponent(state.entry_id)}/playback`, {});
  } catch (error) {
    const failure = error instanceof ApiError ? error : {};
    view.fallback(explain("playback", failure), null);
    view.say("");
    return;
  }
  const link = kalturaLink(session);
  let scriptUrl = session.player_script_url;
  if (launch.mode === "discord" && behindDiscordProxy(location.pathname)) {
    const mappings = proxyMappings(config.url_mappings, session.player_script_url);
    patchUrlMappings(mappings, { patchSrcAttributes: true });
    const mapped = attemptRemap({ url: new URL(scriptUrl), mappings });
    // The proxy is this page's own origin: its scheme too (the SDK keeps the CDN's).
    if (mapped.host === location.host) mapped.protocol = location.protocol;
    scriptUrl = mapped.toString();
  }
  try {
    player = await loadPlayer(
      { scriptUrl, partnerId: session.partner_id, uiconfId: session.uiconf_id, entryId: session.entry_id, ks: session.ks },
      "player",
    );
    room.attach(player);
    view.say("");
  } catch {
    view.fallback("The player cannot load here, so the video is not shown in this window.", link, openLink);
    view.say("");
  }
}

/** The browser link: Discord's OAuth2 code flow back to this page, the session kept for this tab. */
async function browserSignIn(api: Api, config: ActivityConfig, launch: BrowserLaunch): Promise<boolean> {
  // A refresh rotates the refresh token: the tab keeps the newest, or a reload would reuse a spent one.
  api.onSession = (session) => sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  const kept = readJson<Session>(SESSION_KEY);
  if (kept !== null && kept.guild_id === launch.guildId && launch.code === null) {
    api.signedIn(kept);
    return true;
  }
  if (launch.code === null) {
    const state = randomState();
    sessionStorage.setItem(PENDING_KEY, JSON.stringify({ state, query: browserRoomQuery(launch) }));
    view.say("Taking you to Discord to sign in…");
    location.assign(authorizeUrl(config.oauth_authorize_url, config.application_id, redirectUriOf(location.href), state));
    return false;
  }
  const pending = readJson<{ state: string; query: string }>(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (pending === null || pending.state !== launch.state) {
    view.fail("This sign-in did not start in this tab. Open the link from Discord again.");
    return false;
  }
  view.say("Signing in…");
  const session = await at("sign-in", () =>
    api.call<Session>("POST", "/auth/discord", { code: launch.code, guild_id: launch.guildId, redirect_uri: redirectUriOf(location.href) }),
  );
  api.signedIn(session);
  history.replaceState(null, "", `${location.pathname}${browserRoomQuery(launch)}`);
  return true;
}

/** Back from Discord's sign-in the query has only `code` and `state`: the room comes from where it started. */
function restoreLaunch(launch: Launch): Launch {
  if (launch.mode !== "invalid") return launch;
  const query = new URLSearchParams(location.search);
  const code = query.get("code");
  const state = query.get("state");
  const pending = readJson<{ state: string; query: string }>(PENDING_KEY);
  if (code === null || state === null || pending === null) return launch;
  const restored = parseLaunch(`${pending.query}&code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`);
  return restored.mode === "browser" ? restored : launch;
}

function readJson<T>(key: string): T | null {
  try {
    const raw = sessionStorage.getItem(key);
    return raw === null ? null : (JSON.parse(raw) as T);
  } catch {
    return null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function randomState(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function report(error: unknown): void {
  room?.stop();
  if (error instanceof Failure) {
    const cause = error.reason;
    const refusal = cause instanceof ApiError ? { status: cause.status, code: cause.code } : {};
    if (error.step === "sign-in" && !(cause instanceof ApiError)) {
      view.fail("Discord did not let this Activity sign you in. Close it and try again.", { retry: true });
      return;
    }
    if (cause instanceof ApiError && cause.status === 401 && launchMode() === "browser") sessionStorage.removeItem(SESSION_KEY);
    view.fail(explain(error.step, refusal), { retry: true });
    return;
  }
  view.fail("Something went wrong on this page. Reload to try again.", { retry: true });
}

function launchMode(): string {
  return new URLSearchParams(location.search).has("frame_id") ? "discord" : "browser";
}

main().catch(report);

/** For tests and debugging: the sync state of this page (no secrets). */
Object.defineProperty(window, "kdWatch", {
  value: {
    driftMs: () => room?.driftMs ?? null,
    isHost: () => room?.isHost() ?? false,
    version: () => room?.current().version ?? null,
    hasPlayer: () => player !== null,
  },
});
