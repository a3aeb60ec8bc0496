/**
 * The gateway as the page calls it: JSON in and out, the member's bearer token, one
 * refresh (`/auth/refresh`) when it has expired, and the gateway's errors
 * (`{"error":{"code","message"}}`) turned into `ApiError`s the page can explain.
 */

/** What the gateway refused, with its status and code (`not_configured`, `not_a_member`, `conflict`…). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The answer of the sign-in routes (`/auth/discord`, `/auth/discord/activity`, `/auth/refresh`). */
export interface Session {
  access_token: string;
  refresh_token: string;
  expires_at: number;
  guild_id: string;
  role?: string;
  user?: { id: string; username?: string; global_name?: string | null; display_name?: string };
  /** Only from `/auth/discord/activity`: the member's own Discord token for the SDK's `authenticate`. */
  discord_access_token?: string;
}

/** A gateway client rooted at `base` (`/api/v1`, or `/.proxy/api/v1` behind Discord's proxy). */
export class Api {
  private session: Session | null = null;
  private refreshing: Promise<void> | null = null;

  /** Called with the tokens after every sign-in and refresh (the browser link keeps them for the tab). */
  onSession: ((session: Session) => void) | null = null;

  constructor(readonly base: string) {}

  /** Uses this session's tokens from now on (the secret Discord token is not kept). */
  signedIn(session: Session): void {
    const { discord_access_token: _secret, ...kept } = session;
    this.session = { ...this.session, ...kept };
    this.onSession?.(this.session);
  }

  /** The signed-in member's tokens, for keeping the session across a reload. */
  current(): Session | null {
    return this.session;
  }

  /** The member's user ID once signed in. */
  userId(): string | null {
    return this.session?.user?.id ?? null;
  }

  /** Calls `method path` with an optional JSON body; answers the parsed JSON (or `null` for 204). */
  async call<T>(method: string, path: string, body?: unknown, init: { signal?: AbortSignal; keepalive?: boolean } = {}): Promise<T> {
    const response = await this.send(method, path, body, init);
    if (response.status === 401 && this.session !== null && !path.startsWith("/auth/")) {
      await this.refresh();
      return this.parse<T>(await this.send(method, path, body, init));
    }
    return this.parse<T>(response);
  }

  private send(method: string, path: string, body: unknown, init: { signal?: AbortSignal; keepalive?: boolean }): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.session !== null) headers.authorization = `Bearer ${this.session.access_token}`;
    const request: RequestInit = { method, headers, cache: "no-store", credentials: "omit" };
    if (body !== undefined) request.body = JSON.stringify(body);
    if (init.signal !== undefined) request.signal = init.signal;
    if (init.keepalive === true) request.keepalive = true;
    return fetch(`${this.base}${path}`, request);
  }

  private async parse<T>(response: Response): Promise<T> {
    if (response.status === 204) return null as T;
    let value: unknown = null;
    try {
      value = await response.json();
    } catch {
      value = null;
    }
    if (!response.ok) {
      const error = (value as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      const code = typeof error?.code === "string" ? error.code : `http_${response.status}`;
      const message = typeof error?.message === "string" ? error.message : `the server answered ${response.status}`;
      throw new ApiError(response.status, code, message);
    }
    return value as T;
  }

  /** One refresh at a time; a refused refresh ends the session (the caller's 401 stands). */
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const refreshToken = this.session?.refresh_token;
        if (refreshToken === undefined) throw new ApiError(401, "unauthorized", "signed out");
        const next = await this.parse<Session>(await this.send("POST", "/auth/refresh", { refresh_token: refreshToken }, {}));
        this.signedIn({ ...next, user: next.user ?? this.session?.user ?? { id: "" } });
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }
}
