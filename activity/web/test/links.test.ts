import { test } from "node:test";
import assert from "node:assert/strict";
import { kalturaLink, proxyMappings } from "../src/links.ts";

const session = {
  entry_id: "0_abc",
  partner_id: 123,
  uiconf_id: "456",
  player_script_url: "https://cdn.example/p/123/embedPlaykitJs/uiconf_id/456",
};

test("the Kaltura link is the gateway's entry_url when it gives one", () => {
  assert.equal(kalturaLink({ ...session, entry_url: "https://kms.example/media/0_abc" }), "https://kms.example/media/0_abc");
});

test("without entry_url the Kaltura link is the CDN's preview page of the entry, without a KS", () => {
  assert.equal(
    kalturaLink(session),
    "https://cdn.example/index.php/extwidget/preview/partner_id/123/uiconf_id/456/entry_id/0_abc/embed/dynamic",
  );
});

test("no Kaltura link is made from a script URL that is not http(s)", () => {
  assert.equal(kalturaLink({ ...session, player_script_url: "javascript:alert(1)" }), null);
  assert.equal(kalturaLink({ ...session, entry_url: "javascript:alert(1)", player_script_url: "nope" }), null);
});

test("by default the player's CDN host is mapped under /.proxy/kaltura-cdn", () => {
  assert.deepEqual(proxyMappings(undefined, "http://127.0.0.1:8080/p/1/embedPlaykitJs/uiconf_id/2"), [
    { prefix: "/.proxy/kaltura-cdn", target: "127.0.0.1:8080" },
  ]);
});

test("the deployment's own mappings are used under /.proxy, with schemes dropped from targets", () => {
  assert.deepEqual(
    proxyMappings(
      [
        { prefix: "/kaltura-cdn", target: "https://cdnapisec.kaltura.com/" },
        { prefix: "kaltura-vod", target: "cfvod.kaltura.com" },
        { prefix: "/.proxy/x", target: "x.example" },
      ],
      session.player_script_url,
    ),
    [
      { prefix: "/.proxy/kaltura-cdn", target: "cdnapisec.kaltura.com" },
      { prefix: "/.proxy/kaltura-vod", target: "cfvod.kaltura.com" },
      { prefix: "/.proxy/x", target: "x.example" },
    ],
  );
});
