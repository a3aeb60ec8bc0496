/**
 * What the member reads when something stops the page, one sentence per cause, chosen
 * from the gateway's status and code and the step that failed (pure, unit tested).
 */

/** The step of starting up that failed. */
export type Step = "config" | "sign-in" | "join" | "playback" | "room";

/** A refusal as the page sees it (an `ApiError`, or a network failure without status). */
export interface Refusal {
  status?: number;
  code?: string;
}

/** The sentence for a refusal at `step`. */
export function explain(step: Step, refusal: Refusal): string {
  const { status, code } = refusal;
  if (status === undefined) {
    return "The app cannot be reached right now. Check your connection and try again.";
  }
  if (code === "not_configured" || (status === 503 && step === "config")) {
    return "Watching together is not set up on this deployment yet: an administrator must finish its configuration.";
  }
  if (code === "not_a_member") {
    return "You are not a member of this Discord server (or the bot is not in it), so you cannot watch here.";
  }
  if (code === "invalid_grant") {
    return "Discord did not confirm your sign-in. Close this and try again.";
  }
  if (status === 429) return "Too many requests for a moment. Try again in a few seconds.";
  switch (step) {
    case "config":
    case "sign-in":
      if (status >= 500) return "Discord or the app is not answering right now. Try again in a minute.";
      return "Signing in did not work. Close this and try again.";
    case "join":
    case "room":
      if (status === 403) return "This watch room belongs to another Discord server, or your role may not watch videos.";
      if (status === 404 || status === 400 || code === "invalid") {
        return "No video was chosen for this room. Pick one with /kaltura-video in Discord.";
      }
      if (status === 401) return "Your sign-in has ended. Reload to sign in again.";
      return "The watch room is not answering right now. Try again in a minute.";
    case "playback":
      if (status === 404 || status === 403) return "This video is not available to you on this server.";
      if (status >= 500) return "Kaltura is not available right now, so the video cannot be played. Try again in a minute.";
      return "This video cannot be played right now.";
  }
}
