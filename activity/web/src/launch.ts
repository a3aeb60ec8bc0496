/**
 * How the page was opened, read from its URL alone (no DOM, no network), so that the
 * rules are unit tested: inside Discord (the client adds `frame_id` and the instance),
 * or as a browser link (`room`, `entry`, `guild`, and after Discord's sign-in `code`
 * and `state`).
 */

/** A room name as the server accepts it (spec: `[A-Za-z0-9_-]{1,100}`). */
export const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

/** A Discord ID: decimal, no leading zero, at most 20 digits (the server checks the rest). */
const SNOWFLAKE_PATTERN = /^[1-9][0-9]{0,19}$/;

/** A Kaltura entry ID as it appears in links (`0_abc123`); the server checks it again. */
const ENTRY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The page inside Discord: the SDK reads the rest of the query itself. */
export interface DiscordLaunch {
  mode: "discord";
  instanceId: string;
  guildId: string | null;
  channelId: string | null;
  /** The Activity instance's room. */
  room: string;
}

/** The page as a browser link. */
export interface BrowserLaunch {
  mode: "browser";
  room: string;
  guildId: string;
  entryId: string | null;
  /** Present when Discord's sign-in sent the member back here. */
  code: string | null;
  state: string | null;
}

/** The link cannot be used: `problem` says why, in a sentence for the member. */
export interface BadLaunch {
  mode: "invalid";
  problem: string;
}

/** Every way the page can be opened. */
export type Launch = DiscordLaunch | BrowserLaunch | BadLaunch;

/** The room of an Activity instance: `i-<instance id>`, its characters kept to the room alphabet. */
export function instanceRoom(instanceId: string): string {
  const safe = instanceId.replace(/[^A-Za-z0-9_-]/g, "_");
  return `i-${safe}`.slice(0, 100);
}

/** Reads the page's query (`location.search`). */
export function parseLaunch(search: string): Launch {
  const query = new URLSearchParams(search);
  if (query.has("frame_id")) {
    const instanceId = query.get("instance_id") ?? "";
    if (instanceId === "") {
      return { mode: "invalid", problem: "Discord opened this Activity without an instance, so there is no room to join." };
    }
    return {
      mode: "discord",
      instanceId,
      guildId: nonEmpty(query.get("guild_id")),
      channelId: nonEmpty(query.get("channel_id")),
      room: instanceRoom(instanceId),
    };
  }
  const room = query.get("room") ?? "";
  const guildId = query.get("guild") ?? "";
  const entry = nonEmpty(query.get("entry"));
  if (!ROOM_PATTERN.test(room)) {
    return { mode: "invalid", problem: "This link has no valid room. Ask for a new link with /kaltura-video in Discord." };
  }
  if (!SNOWFLAKE_PATTERN.test(guildId)) {
    return { mode: "invalid", problem: "This link does not say which Discord server it belongs to. Ask for a new link with /kaltura-video." };
  }
  if (entry !== null && !ENTRY_PATTERN.test(entry)) {
    return { mode: "invalid", problem: "This link names a video that cannot exist. Ask for a new link with /kaltura-video." };
  }
  return {
    mode: "browser",
    room,
    guildId,
    entryId: entry,
    code: nonEmpty(query.get("code")),
    state: nonEmpty(query.get("state")),
  };
}

/** The query that reopens a browser room (no sign-in leftovers): what the page shows after signing in. */
export function browserRoomQuery(launch: Pick<BrowserLaunch, "room" | "guildId" | "entryId">): string {
  const query = new URLSearchParams();
  if (launch.entryId !== null) query.set("entry", launch.entryId);
  query.set("guild", launch.guildId);
  query.set("room", launch.room);
  return `?${query.toString()}`;
}

/**
 * Discord's authorization URL for the browser link: the code flow back to this page
 * (`redirectUri`, registered in the Developer Portal), scope `identify`, and `state`
 * tying the answer to this tab. Parameters already on `authorizeUrl` are replaced.
 */
export function authorizeUrl(authorizeUrlBase: string, clientId: string, redirectUri: string, state: string): string {
  const url = new URL(authorizeUrlBase);
  url.searchParams.set("client_id", clientId);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("scope", "identify");
  url.searchParams.set("redirect_uri", redirectUri);
  url.searchParams.set("state", state);
  return url.toString();
}

/** The redirect URI of the browser link: this page without its query or fragment. */
export function redirectUriOf(href: string): string {
  const url = new URL(href);
  return `${url.origin}${url.pathname}`;
}

function nonEmpty(value: string | null): string | null {
  return value === null || value === "" ? null : value;
}

/**
 * Whether the page is served through Discord's Activity proxy: there it is the root of
 * `<app>.discordsays.com` (the Developer Portal maps `/` to the app's `/activity`),
 * while the app itself serves it under `/activity/` (a browser link, or a test harness).
 */
export function behindDiscordProxy(pathname: string): boolean {
  return !(pathname === "/activity" || pathname.startsWith("/activity/"));
}

/** Where the gateway's API is from this page: through Discord's proxy (`/.proxy/api/v1`, the `/api` mapping) or the app's own `/api/v1`. */
export function apiBase(pathname: string): string {
  return behindDiscordProxy(pathname) ? "/.proxy/api/v1" : "/api/v1";
}
