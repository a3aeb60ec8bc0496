// The Watch together page in a real browser: Debian chromium driven by playwright-core.
//
// Against the real app (the e2e test host, with fake Discord and Kaltura):
//   APP_URL=http://127.0.0.1:<port> GUILD_ID=<guild> CHANNEL_ID=<voice channel> ENTRY_ID=<entry> \
//   USERS='[{"code":"code-ada","token":"discord-token-ada","id":"…","name":"ada"},…]' \
//   [OUTSIDER='{"code":"code-carl","token":"…","id":"…","name":"carl"}'] \
//   [FAKE_CDN_URL=<kaltura_cdn_url> FAKE_CDN_SERVES_PLAYER=1] [SCENARIOS=a,b] [DEBUG=1] \
//   node tests/browser/run.mjs
// USERS: three members of GUILD_ID, each with the code the fake Discord exchanges and
// the Discord token it answers (the harness checks `authenticate` gets that token).
// OUTSIDER: a user who is not a member of GUILD_ID (the not-a-member scenario).
// Against the throwaway stand-in of the API (no Rust needed): node tests/browser/run.mjs --standin
//
// What the browser stands in for (Playwright request routing, in this browser only):
// the Discord client (the harness page at https://discord.com, or on the app's origin:
// the SDK accepts messages only from its own origin and Discord's), Discord's Activity
// proxy (https://<application id>.discordsays.com with the README's URL mappings),
// Discord's OAuth2 consent page (any `…/oauth2/authorize?…`: straight back to
// redirect_uri with the member's code), and the Kaltura CDN's player script (any
// `…/embedPlaykitJs/…`: the fake player; FAKE_CDN_SERVES_PLAYER=1 leaves it to the
// fake CDN at FAKE_CDN_URL instead).
//
// Prints `ok`/`not ok` per scenario, `BROWSER TESTS <n> passed, <m> failed`, and
// grep-able measurements:
//   DRIFT p50=<ms> p99=<ms> samples=<n>   |follower − host| while playing, between host actions
//   FOLLOW action=<a> ms=<n>              a host action until every follower is within 250 ms
//   CATCHUP ms=<n>                        a late joiner opening the Activity until within 250 ms
//   TAKEOVER via=<leave|presence-timeout> ms=<n>  the host's Activity closed until another member hosts
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name) => readFileSync(join(here, "fixtures", name), "utf8");
const BOUND_MS = 250;

const env = process.env;
const standinMode = process.argv.includes("--standin");
let standin = null;
let settings;
if (standinMode) {
  const { startStandin } = await import("./fixtures/standin.mjs");
  const users = [
    { code: "code-ada", token: "discord-token-ada", id: "333333333333333331", name: "ada", guild: "111111111111111111" },
    { code: "code-bob", token: "discord-token-bob", id: "333333333333333332", name: "bob", guild: "111111111111111111" },
    { code: "code-dan", token: "discord-token-dan", id: "333333333333333334", name: "dan", guild: "111111111111111111" },
    { code: "code-carl", token: "discord-token-carl", id: "333333333333333333", name: "carl", guild: "222222222222222222" },
  ];
  standin = await startStandin({
    dist: join(here, "..", "..", "activity", "web", "dist"),
    users,
    guildId: "111111111111111111",
    applicationId: "999999999999999999",
    cdnUrl: "http://kaltura-cdn.invalid",
    discordUrl: "http://discord.invalid",
  });
  settings = { appUrl: standin.url, guildId: "111111111111111111", channelId: "555555555555555551", entryId: "0_standin", users: users.slice(0, 3), outsider: users[3], cdnUrl: "http://kaltura-cdn.invalid" };
} else {
  const need = (name) => {
    if (!env[name]) {
      console.error(`run.mjs: ${name} is not set (or run with --standin)`);
      process.exit(2);
    }
    return env[name];
  };
  settings = {
    appUrl: need("APP_URL").replace(/\/$/, ""),
    guildId: need("GUILD_ID"),
    channelId: need("CHANNEL_ID"),
    entryId: need("ENTRY_ID"),
    users: JSON.parse(need("USERS")),
    outsider: env.OUTSIDER ? JSON.parse(env.OUTSIDER) : null,
    cdnUrl: env.FAKE_CDN_URL ?? null,
  };
  if (settings.users.length < 3) {
    console.error("run.mjs: USERS needs three members of GUILD_ID");
    process.exit(2);
  }
}
// Each member's clock is off by a different amount (CLOCK_SKEW=0 turns it off).
if (env.CLOCK_SKEW !== "0") settings.users = settings.users.map((user, i) => ({ ...user, skewMs: [0, 7000, -4000][i] ?? 0 }));
// A line of its own first: whatever ran this may have left its cursor mid-line.
console.log(`\n# browser tests against ${standinMode ? "the stand-in API" : "the app"} at ${settings.appUrl}`);
const only = env.SCENARIOS ? new Set(env.SCENARIOS.split(",")) : null;
const playerFromFakes = env.FAKE_CDN_SERVES_PLAYER === "1";

// A fresh profile: launch() gives every run its own temporary user-data dir.
const browser = await chromium.launch({
  executablePath: env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    // Several pages play at once: none of them may be throttled as a background tab.
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
  ],
});

let config = null;
async function activityConfig() {
  config ??= await (await fetch(`${settings.appUrl}/api/v1/activity/config`)).json();
  return config;
}

/** A fresh context (one member's browser) with the test doubles routed in. */
async function newMember({ failPlayer = false, member = null } = {}) {
  const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  if (member?.skewMs) {
    // This member's computer clock is off by skewMs: the page must find the server's time itself.
    await context.addInitScript((skew) => {
      const realNow = Date.now.bind(Date);
      const origin = performance.timeOrigin;
      window.realDateNow = realNow;
      Date.now = () => realNow() + skew;
      Object.defineProperty(performance, "timeOrigin", { value: origin + skew });
    }, member.skewMs);
  }
  const problems = [];
  await context.route(`${settings.appUrl}/__harness/**`, (route) => {
    const name = new URL(route.request().url()).pathname.split("/").pop();
    const type = name.endsWith(".js") ? "text/javascript" : "text/html";
    return route.fulfill({ status: 200, contentType: type, body: fixture(name === "discord-harness.js" ? name : "discord-harness.html") });
  });
  await context.route("**/embedPlaykitJs/**", (route) => {
    if (failPlayer) return route.fulfill({ status: 404, contentType: "text/plain", body: "no player here" });
    if (playerFromFakes) return route.continue();
    return route.fulfill({ status: 200, contentType: "text/javascript", body: fixture("fake-kaltura-player.js") });
  });
  await context.route("**/oauth2/authorize?**", (route) => {
    // Discord's consent page, approved at once: back to redirect_uri with the member's code.
    const asked = new URL(route.request().url());
    const p = asked.searchParams;
    const checks = { response_type: p.get("response_type") === "code", scope: p.get("scope") === "identify", state: (p.get("state") ?? "").length >= 16, client: (p.get("client_id") ?? "") !== "" };
    context.authorizeAsked = { url: asked.toString(), checks };
    const back = new URL(p.get("redirect_uri"));
    back.searchParams.set("code", member?.code ?? "");
    back.searchParams.set("state", p.get("state") ?? "");
    return route.fulfill({ status: 302, headers: { location: back.toString() } });
  });
  const page = await context.newPage();
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  if (env.DEBUG) page.on("requestfailed", (request) => console.log(`# failed ${request.url()} ${request.failure()?.errorText}`));
  page.on("console", (message) => {
    if (env.DEBUG) console.log(`# console ${message.type()}: ${message.text()}`);
    if (message.type() === "error" && /Content Security Policy|Refused/.test(message.text())) problems.push(message.text());
  });
  return { context, page, problems };
}

/**
 * Opens the Activity for `member` inside the harness; answers the Activity's frame.
 * `viaProxy` (the default): as Discord does it — the harness at https://discord.com, the
 * page at the root of https://<application id>.discordsays.com, whose requests this
 * browser maps as Discord's proxy does with the README's URL mappings (`/` → the app's
 * `/activity`, `/.proxy/api` → the app's `/api`, `/.proxy/kaltura-cdn` → the CDN).
 * Without it: the harness and the page both on the app's origin (`/activity/`).
 */
async function openInDiscord(member, instanceId, { viaProxy = true } = {}) {
  const cfg = await activityConfig();
  const m = await newMember({ member });
  const harnessOrigin = viaProxy ? "https://discord.com" : settings.appUrl;
  const activity = viaProxy ? `https://${cfg.application_id}.discordsays.com/` : "/activity/";
  if (viaProxy) await routeDiscordProxy(m.context, cfg.application_id);
  const query = new URLSearchParams({
    activity, client_id: cfg.application_id, code: member.code, user_id: member.id, username: member.name,
    token: member.token ?? "", instance_id: instanceId, guild_id: settings.guildId, channel_id: settings.channelId,
  });
  await m.page.goto(`${harnessOrigin}/__harness/discord-harness.html?${query}`);
  const frameHandle = await m.page.waitForSelector("iframe");
  m.frame = await frameHandle.contentFrame();
  m.member = member;
  return m;
}

/** Discord's side of an Activity's requests: the harness page, and the proxy's URL mappings. */
async function routeDiscordProxy(context, applicationId) {
  await context.route("https://discord.com/__harness/**", (route) => {
    const name = new URL(route.request().url()).pathname.split("/").pop();
    const js = name === "discord-harness.js";
    return route.fulfill({ status: 200, contentType: js ? "text/javascript" : "text/html", body: fixture(js ? name : "discord-harness.html") });
  });
  await context.route(`https://${applicationId}.discordsays.com/**`, async (route) => {
    const url = new URL(route.request().url());
    let target;
    if (url.pathname.startsWith("/.proxy/api/")) target = `${settings.appUrl}${url.pathname.slice("/.proxy".length)}${url.search}`;
    else if (url.pathname.startsWith("/.proxy/kaltura-cdn/")) {
      if (url.pathname.includes("/embedPlaykitJs/") && !playerFromFakes) {
        return route.fulfill({ status: 200, contentType: "text/javascript", body: fixture("fake-kaltura-player.js") });
      }
      if (settings.cdnUrl === null) return route.fulfill({ status: 404, body: "no CDN" });
      target = `${settings.cdnUrl}${url.pathname.slice("/.proxy/kaltura-cdn".length)}${url.search}`;
    } else if (url.pathname.startsWith("/.proxy/")) {
      return route.fulfill({ status: 404, contentType: "text/plain", body: "no URL mapping for this prefix" });
    } else target = `${settings.appUrl}/activity${url.pathname}${url.search}`;
    context.proxied = (context.proxied ?? 0) + 1;
    if (env.DEBUG) console.log(`# proxy ${route.request().method()} ${url.pathname}`);
    try {
      const response = await route.fetch({ url: target, maxRedirects: 0, timeout: 30000 });
      await route.fulfill({ response });
    } catch {
      await route.abort().catch(() => undefined);
    }
  });
}

async function waitFor(what, fn, timeoutMs = 15000, everyMs = 50) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      last = await fn();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? ` (${last.message})` : ""}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const sample = (m) => m.frame.evaluate(() => window.fakeKalturaPlayer?.sample() ?? null);
const project = (s, at) => (s.paused || s.stalled ? s.positionMs : s.positionMs + (at - s.wallMs) * s.rate);

/** Every follower's player minus the host's, projected to one instant. */
async function gaps(host, followers) {
  const samples = await Promise.all([host, ...followers].map(sample));
  if (samples.some((s) => s === null)) return null;
  const at = Math.max(...samples.map((s) => s.wallMs));
  const h = project(samples[0], at);
  return { host: samples[0], followers: samples.slice(1), gaps: samples.slice(1).map((s) => project(s, at) - h) };
}

/** Time from now until every follower is within the bound (and in the host's play state) for 500 ms. */
async function follow(host, followers, timeoutMs = 10000) {
  const start = Date.now();
  let since = null;
  while (Date.now() - start < timeoutMs) {
    const g = await gaps(host, followers);
    const ok = g !== null && g.gaps.every((x) => Math.abs(x) <= BOUND_MS) && g.followers.every((f) => f.paused === g.host.paused);
    if (ok) {
      since ??= Date.now();
      if (Date.now() - since >= 500) return since - start;
    } else since = null;
    await sleep(25);
  }
  throw new Error(`followers not within ${BOUND_MS} ms after ${timeoutMs} ms: ${JSON.stringify(await gaps(host, followers))}`);
}

/** Collects |follower − host| every 100 ms for `ms`, while playing. */
async function collectDrift(host, followers, ms, into) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const g = await gaps(host, followers);
    if (g !== null && !g.host.paused) for (const x of g.gaps) into.push(Math.abs(x));
    await sleep(100);
  }
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const isHost = (m) => m.frame.evaluate(() => window.kdWatch?.isHost() ?? false);
const hasPlayer = (m) => m.frame.evaluate(() => window.kdWatch?.hasPlayer() ?? false);

const results = [];
async function scenario(name, body) {
  if (only !== null && !only.has(name)) return;
  const started = Date.now();
  try {
    await body();
    results.push([name, true]);
    console.log(`ok - ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push([name, false]);
    console.log(`not ok - ${name}: ${error?.stack ?? error}`);
  }
}
function expect(condition, message) {
  if (!condition) throw new Error(message);
}

await scenario("discord-sync", async () => {
  const [ada, bob, dan] = settings.users;
  const instance = `test-${Date.now().toString(36)}`;
  const open = [];
  try {
    const a = await openInDiscord(ada, instance);
    open.push(a);
    await waitFor("the first member's player", () => hasPlayer(a));
    const h = await a.page.evaluate(() => window.harness);
    expect(h.handshake?.v === 1 && h.handshake?.frame_id === h.frameId, "the SDK's handshake reached the harness");
    expect(h.authorized?.scope?.includes("identify") && h.authorized?.response_type === "code", `authorize asked for a code with identify: ${JSON.stringify(h.authorized)}`);
    expect(h.authenticated?.hasToken === true && h.failures.length === 0, `authenticate got the member's Discord token: ${JSON.stringify(h)}`);
    expect(await isHost(a), "the first member hosts");
    expect((a.context.proxied ?? 0) > 0, "the page's requests went through the Discord proxy's mappings");
    const media = (await sample(a)).media;
    expect(media.entryId !== "" && typeof media.ks === "string" && media.ks.length > 0, "the player got the entry and the member's KS");

    const b = await openInDiscord(bob, instance);
    open.push(b);
    await waitFor("the second member's player", () => hasPlayer(b));
    expect(!(await isHost(b)), "the second member follows");
    await waitFor("both listed as watching", async () => (await a.frame.locator("#viewers li").count()) === 2 && (await b.frame.locator("#viewers li").count()) === 2);
    expect(await b.frame.locator("#toggle").isDisabled(), "a follower cannot control");

    const drift = [];
    await a.frame.click("#toggle");
    console.log(`FOLLOW action=play ms=${await follow(a, [b])}`);
    await collectDrift(a, [b], 8000, drift);
    await a.frame.click("#forward");
    console.log(`FOLLOW action=seek ms=${await follow(a, [b])}`);
    await collectDrift(a, [b], 4000, drift);
    await a.frame.click("#toggle");
    console.log(`FOLLOW action=pause ms=${await follow(a, [b])}`);
    expect((await sample(b)).paused, "the follower paused with the host");
    await a.frame.click("#toggle");
    console.log(`FOLLOW action=play ms=${await follow(a, [b])}`);
    await collectDrift(a, [b], 3000, drift);
    // The host uses the player's own controls (Kaltura's UI) rather than the page's.
    await a.frame.evaluate(() => window.fakeKalturaPlayer.press("seek", 300));
    console.log(`FOLLOW action=player-seek ms=${await follow(a, [b])}`);
    expect(Math.abs((await sample(b)).positionMs - 300000) < 5000, "the follower went where the host's player went");
    await collectDrift(a, [b], 3000, drift);

    const openedAt = Date.now();
    const d = await openInDiscord(dan, instance);
    open.push(d);
    await waitFor("the late joiner's player", () => hasPlayer(d), 15000, 10);
    const readyAt = Date.now();
    const catchUp = await follow(a, [d]);
    console.log(`CATCHUP ms=${readyAt - openedAt + catchUp} player_ready_ms=${readyAt - openedAt} after_ready_ms=${catchUp}`);
    await collectDrift(a, [b, d], 5000, drift);
    console.log(`DRIFT p50=${percentile(drift, 50).toFixed(1)} p99=${percentile(drift, 99).toFixed(1)} samples=${drift.length}`);
    expect(percentile(drift, 99) <= BOUND_MS, `p99 drift within ${BOUND_MS} ms`);

    // Hand-over: the host makes bob host; bob pauses; the others follow.
    await a.frame.click(`#viewers li[data-user-id="${bob.id}"] button.make-host`);
    await waitFor("bob hosts", () => isHost(b), 5000);
    await waitFor("ada follows", async () => !(await isHost(a)), 5000);
    await waitFor("bob's controls", async () => !(await b.frame.locator("#toggle").isDisabled()), 5000);
    await b.frame.click("#toggle");
    console.log(`FOLLOW action=pause-after-handover ms=${await follow(b, [a, d])}`);
    await b.frame.click("#toggle");
    await follow(b, [a, d]);

    // The host's Activity closes: another member hosts (ada, the earliest still there).
    const closedAt = Date.now();
    await b.page.evaluate(() => window.harness.closeActivity());
    await waitFor("another member hosts", async () => (await isHost(a)) || (await isHost(d)), 25000, 100);
    // Playwright's routing cannot carry the page's keepalive `leave` out of a removed
    // frame, so here the host is gone by the presence timeout (15 s) instead.
    console.log(`TAKEOVER via=presence-timeout ms=${Date.now() - closedAt}`);
    expect(await isHost(a), "the earliest-joined member still present hosts");
    await waitFor("bob is no longer listed", async () => (await a.frame.locator("#viewers li").count()) === 2, 25000, 100);
    for (const m of open) expect(m.problems.length === 0, `no CSP or page errors: ${m.problems.join("; ")}`);
  } finally {
    for (const m of open) await m.context.close();
  }
});

await scenario("discord-host-leaves", async () => {
  // The page on the app's origin (no proxy routing): the `leave` sent as the Activity
  // closes reaches the app, and the room hands over at once.
  const [ada, bob] = settings.users;
  const instance = `test-leave-${Date.now().toString(36)}`;
  const open = [];
  try {
    const a = await openInDiscord(ada, instance, { viaProxy: false });
    open.push(a);
    await waitFor("the host's player", () => hasPlayer(a));
    const b = await openInDiscord(bob, instance, { viaProxy: false });
    open.push(b);
    await waitFor("the follower's player", () => hasPlayer(b));
    expect((await isHost(a)) && !(await isHost(b)), "the first member hosts");
    await a.frame.click("#toggle");
    await follow(a, [b]);
    const closedAt = Date.now();
    await a.page.evaluate(() => window.harness.closeActivity());
    await waitFor("the remaining member hosts", () => isHost(b), 25000, 50);
    console.log(`TAKEOVER via=leave ms=${Date.now() - closedAt}`);
    await waitFor("the new host's controls", async () => !(await b.frame.locator("#toggle").isDisabled()), 5000);
    expect((await b.frame.locator("#viewers li").count()) === 1, "the host who left is no longer listed");
    expect(!(await sample(b)).paused, "playback goes on");
  } finally {
    for (const m of open) await m.context.close();
  }
});

await scenario("discord-not-a-member", async () => {
  if (settings.outsider === null) {
    console.log("# skipped: OUTSIDER not set");
    return;
  }
  const m = await openInDiscord(settings.outsider, `test-out-${Date.now().toString(36)}`, { viaProxy: false });
  try {
    await m.frame.waitForSelector("#problem:not([hidden])", { timeout: 15000 });
    const text = await m.frame.textContent("#problem-text");
    expect(/not a member/.test(text ?? ""), `the page says why: ${text}`);
  } finally {
    await m.context.close();
  }
});

await scenario("browser-link-fallback", async () => {
  const [ada] = settings.users;
  const m = await newMember({ failPlayer: true, member: ada });
  try {
    const query = new URLSearchParams({ entry: settings.entryId, guild: settings.guildId, room: `c-${settings.channelId}` });
    await m.page.goto(`${settings.appUrl}/activity/?${query}`);
    await m.page.waitForSelector("#fallback:not([hidden])", { timeout: 20000 });
    const asked = m.context.authorizeAsked;
    expect(asked && Object.values(asked.checks).every(Boolean), `the sign-in went to Discord's authorize with a code flow: ${JSON.stringify(asked)}`);
    const redirect = new URL(asked.url).searchParams.get("redirect_uri");
    expect(redirect === `${settings.appUrl}/activity/`, `redirect_uri is the page: ${redirect}`);
    const href = await m.page.getAttribute("#fallback-link", "href");
    expect(/^https?:\/\//.test(href ?? "") && href.includes(settings.entryId) && !/[?&/]ks[=/]/i.test(href), `the Kaltura link names the entry and no KS: ${href}`);
    const url = new URL(m.page.url());
    expect(!url.searchParams.has("code") && url.searchParams.get("room") === `c-${settings.channelId}`, `the sign-in leftovers are gone: ${url}`);
    await waitFor("the member is listed", async () => (await m.page.locator("#viewers li").count()) >= 1);
    expect(m.problems.length === 0, `no CSP or page errors: ${m.problems.join("; ")}`);
  } finally {
    await m.context.close();
  }
});

await scenario("page-states", async () => {
  // How the page tells a member what stops it, with the gateway's answer replaced in
  // this browser: a deployment without its settings, and Kaltura failing.
  const [ada] = settings.users;
  const link = `${settings.appUrl}/activity/?${new URLSearchParams({ entry: settings.entryId, guild: settings.guildId, room: `c-${settings.channelId}` })}`;
  const refuse = (status, code) => (route) =>
    route.fulfill({ status, contentType: "application/json", body: JSON.stringify({ error: { code, message: "from the test" } }) });

  const unset = await newMember({ member: ada });
  try {
    await unset.context.route("**/api/v1/activity/config", refuse(503, "not_configured"));
    await unset.page.goto(link);
    await unset.page.waitForSelector("#problem:not([hidden])", { timeout: 10000 });
    expect(/not set up/.test((await unset.page.textContent("#problem-text")) ?? ""), "not configured is said");
  } finally {
    await unset.context.close();
  }

  const down = await newMember({ member: ada });
  try {
    await down.context.route("**/api/v1/media/*/playback", refuse(502, "upstream"));
    await down.page.goto(link);
    await down.page.waitForSelector("#fallback:not([hidden])", { timeout: 20000 });
    expect(/Kaltura is not available/.test((await down.page.textContent("#fallback-text")) ?? ""), "Kaltura unavailable is said");
    await waitFor("the member is still in the room", async () => (await down.page.locator("#viewers li").count()) >= 1);
  } finally {
    await down.context.close();
  }
});

await scenario("browser-bad-link", async () => {
  const m = await newMember();
  try {
    await m.page.goto(`${settings.appUrl}/activity/?room=a/b`);
    await m.page.waitForSelector("#problem:not([hidden])", { timeout: 10000 });
    expect(/no valid room/.test((await m.page.textContent("#problem-text")) ?? ""), "the page says the link is bad");
  } finally {
    await m.context.close();
  }
});

await browser.close();
await standin?.close();
const failed = results.filter(([, ok]) => !ok).length;
console.log(`BROWSER TESTS ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && results.length > 0 ? 0 : 1);
