/**
 * The page's DOM: what the member sees at each step. Text only through `textContent`
 * (names come from Discord), no inline styles or scripts (the component's CSP).
 */
import type { RoomState } from "./room.ts";

function el<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

/** Formats ms as `m:ss` (or `h:mm:ss`). */
export function clockText(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** The handlers the controls call. */
export interface Controls {
  toggle(): void;
  skip(deltaMs: number): void;
  seek(positionMs: number): void;
  handOver(userId: string): void;
  start(): void;
  retry(): void;
}

/** The page's elements and how they change. */
export class View {
  private readonly app = el<HTMLElement>("app");
  private readonly status = el<HTMLElement>("status");
  private readonly problem = el<HTMLElement>("problem");
  private readonly seek = el<HTMLInputElement>("seek");
  private seeking = false;

  constructor(private readonly controls: Controls) {
    el<HTMLButtonElement>("toggle").addEventListener("click", () => controls.toggle());
    el<HTMLButtonElement>("back").addEventListener("click", () => controls.skip(-10000));
    el<HTMLButtonElement>("forward").addEventListener("click", () => controls.skip(10000));
    el<HTMLButtonElement>("start").addEventListener("click", () => {
      el<HTMLButtonElement>("start").hidden = true;
      controls.start();
    });
    el<HTMLButtonElement>("retry").addEventListener("click", () => controls.retry());
    this.seek.addEventListener("input", () => {
      this.seeking = true;
    });
    this.seek.addEventListener("change", () => {
      this.seeking = false;
      controls.seek(Number(this.seek.value) * 1000);
    });
  }

  /** A step in progress, announced politely. */
  say(text: string): void {
    this.status.textContent = text;
  }

  /** Something stops the page: the sentence, and the Kaltura link or a retry when they help. */
  fail(text: string, options: { link?: string | null; retry?: boolean } = {}): void {
    this.app.setAttribute("aria-busy", "false");
    el("problem-text").textContent = text;
    const link = el<HTMLAnchorElement>("problem-link");
    link.hidden = !options.link;
    if (options.link) link.href = options.link;
    el<HTMLButtonElement>("retry").hidden = options.retry !== true;
    this.problem.hidden = false;
    this.status.textContent = "";
  }

  /** The room is joined: the watch area and the people list appear. */
  joined(): void {
    this.app.setAttribute("aria-busy", "false");
    this.problem.hidden = true;
    el("watch").hidden = false;
    el("people").hidden = false;
  }

  /** The video's title, when known. */
  title(text: string): void {
    el("title").textContent = text;
    document.title = `${text} · Watch together`;
  }

  /** The player could not load: its frame is replaced by the Kaltura link. */
  fallback(text: string, link: string | null, open?: (url: string) => void): void {
    el("player").hidden = true;
    el("fallback").hidden = false;
    el("fallback-text").textContent = text;
    const anchor = el<HTMLAnchorElement>("fallback-link");
    if (link === null) {
      anchor.hidden = true;
      return;
    }
    anchor.href = link;
    if (open !== undefined) {
      anchor.addEventListener("click", (event) => {
        event.preventDefault();
        open(link);
      });
    }
  }

  /** The browser wants a click before playing. */
  needsGesture(): void {
    el<HTMLButtonElement>("start").hidden = false;
  }

  /** Shows the room: who hosts, who watches, the controls for the host, the position. */
  render(state: RoomState, me: string | null, positionMs: number, durationMs: number | undefined, hasPlayer: boolean): void {
    const host = state.host_id === me;
    const toggle = el<HTMLButtonElement>("toggle");
    toggle.textContent = state.playback.playing ? "Pause" : "Play";
    for (const id of ["toggle", "back", "forward", "seek"]) {
      (el(id) as HTMLButtonElement | HTMLInputElement).disabled = !host || !hasPlayer;
    }
    const hostName = state.viewers.find((v) => v.user_id === state.host_id)?.display_name ?? "someone";
    el("role-note").textContent = host
      ? "You are the host: play, pause and seek for everyone."
      : `${hostName} is the host and controls playback for everyone.`;
    if (durationMs !== undefined) this.seek.max = String(Math.floor(durationMs / 1000));
    if (!this.seeking) this.seek.value = String(Math.floor(positionMs / 1000));
    el("clock").textContent = clockText(positionMs);
    this.renderViewers(state, me, host);
  }

  private renderViewers(state: RoomState, me: string | null, host: boolean): void {
    const list = el<HTMLUListElement>("viewers");
    const items = state.viewers.map((viewer) => {
      const item = document.createElement("li");
      item.dataset.userId = viewer.user_id;
      const name = document.createElement("span");
      name.textContent = viewer.display_name + (viewer.user_id === me ? " (you)" : "");
      item.append(name);
      if (viewer.user_id === state.host_id) {
        const badge = document.createElement("span");
        badge.className = "host-badge";
        badge.textContent = "host";
        item.append(badge);
      } else if (host) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "make-host";
        button.textContent = "Make host";
        button.setAttribute("aria-label", `Make ${viewer.display_name} the host`);
        button.addEventListener("click", () => this.controls.handOver(viewer.user_id));
        item.append(button);
      }
      return item;
    });
    const signature = JSON.stringify([state.host_id, me, state.viewers.map((v) => [v.user_id, v.display_name])]);
    if (list.dataset.signature !== signature) {
      list.dataset.signature = signature;
      list.replaceChildren(...items);
    }
  }
}
