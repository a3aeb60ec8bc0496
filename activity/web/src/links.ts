/**
 * URLs the page derives from what the gateway answered, kept pure for unit tests: the
 * Kaltura link shown when the player cannot load, and the URL mappings under which
 * Discord's proxy reaches the Kaltura CDN.
 */

/** The member's playback session (spec: `POST /api/v1/media/{entry_id}/playback`). */
export interface PlaybackSession {
  entry_id: string;
  partner_id: number | string;
  uiconf_id: number | string;
  ks: string;
  expires_at: number;
  player_script_url: string;
  /** The entry's page on Kaltura, when the gateway names one. */
  entry_url?: string;
}

/** One Developer Portal URL mapping: `prefix` on Discord's proxy stands for `target` (host and optional path). */
export interface UrlMapping {
  prefix: string;
  target: string;
}

/**
 * The entry's Kaltura link: the gateway's `entry_url` when it gives one, else Kaltura's
 * own preview page on the CDN the player comes from (the same partner and player).
 * Never carries the KS. `null` when neither can be made.
 */
export function kalturaLink(session: Pick<PlaybackSession, "entry_id" | "partner_id" | "uiconf_id" | "player_script_url" | "entry_url">): string | null {
  if (session.entry_url !== undefined && isHttpUrl(session.entry_url)) return session.entry_url;
  if (!isHttpUrl(session.player_script_url)) return null;
  const cdn = new URL(session.player_script_url).origin;
  const part = (value: number | string) => encodeURIComponent(String(value));
  return `${cdn}/index.php/extwidget/preview/partner_id/${part(session.partner_id)}/uiconf_id/${part(session.uiconf_id)}/entry_id/${part(session.entry_id)}/embed/dynamic`;
}

/**
 * The mappings to patch inside Discord: the deployment's own list when the gateway gives
 * one, else `/kaltura-cdn` for the host the player script comes from. Prefixes are used
 * under `/.proxy`, as Discord's proxy serves them.
 */
export function proxyMappings(configured: readonly UrlMapping[] | undefined, playerScriptUrl: string): UrlMapping[] {
  const list: UrlMapping[] = configured && configured.length > 0 ? [...configured] : defaultMappings(playerScriptUrl);
  return list.map((mapping) => ({
    prefix: mapping.prefix.startsWith("/.proxy/") ? mapping.prefix : `/.proxy${mapping.prefix.startsWith("/") ? "" : "/"}${mapping.prefix}`,
    target: mapping.target.replace(/^https?:\/\//, "").replace(/\/$/, ""),
  }));
}

function defaultMappings(playerScriptUrl: string): UrlMapping[] {
  if (!isHttpUrl(playerScriptUrl)) return [];
  return [{ prefix: "/kaltura-cdn", target: new URL(playerScriptUrl).host }];
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}
