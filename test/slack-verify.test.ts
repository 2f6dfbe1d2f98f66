import { describe, expect, it } from "vitest";
import { verifySlackRequest } from "../adapters/slack/verify.ts";
import { slackSignature } from "./support/slack-requests.ts";

// Slack's documented example (https://docs.slack.dev/authentication/verifying-requests-from-slack).
const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const TIMESTAMP = "1531420618";
const BODY =
  "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
const NOW = 1531420618;

const base = {
  signingSecret: SECRET,
  timestamp: TIMESTAMP,
  signature: SIGNATURE,
  rawBody: BODY,
  nowSeconds: NOW,
};

describe("verifySlackRequest", () => {
  it("accepts Slack's documented example request", async () => {
    expect(await verifySlackRequest(base)).toBe(true);
  });

  it("accepts the signature whatever the case of its hex digits", async () => {
    expect(
      await verifySlackRequest({
        ...base,
        signature: SIGNATURE.toUpperCase().replace("V0=", "v0="),
      }),
    ).toBe(true);
  });

  it("accepts a request we sign ourselves with the current clock", async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const body = JSON.stringify({ type: "url_verification", challenge: "abc" });
    const signature = await slackSignature(SECRET, ts, body);
    expect(
      await verifySlackRequest({ signingSecret: SECRET, timestamp: ts, signature, rawBody: body }),
    ).toBe(true);
  });

  it("rejects a tampered body", async () => {
    expect(
      await verifySlackRequest({ ...base, rawBody: BODY.replace("roadrunner", "coyote") }),
    ).toBe(false);
  });

  it("rejects a signature made with another secret", async () => {
    const signature = await slackSignature("not-the-secret", TIMESTAMP, BODY);
    expect(await verifySlackRequest({ ...base, signature })).toBe(false);
  });

  it("rejects a signature over another timestamp", async () => {
    expect(
      await verifySlackRequest({ ...base, timestamp: String(NOW + 1), nowSeconds: NOW + 1 }),
    ).toBe(false);
  });

  it("rejects a Slack timestamp older than five minutes", async () => {
    expect(await verifySlackRequest({ ...base, nowSeconds: NOW + 301 })).toBe(false);
    expect(await verifySlackRequest({ ...base, nowSeconds: NOW + 300 })).toBe(true);
  });

  it("rejects a timestamp more than five minutes in the future", async () => {
    expect(await verifySlackRequest({ ...base, nowSeconds: NOW - 301 })).toBe(false);
    expect(await verifySlackRequest({ ...base, nowSeconds: NOW - 300 })).toBe(true);
  });

  it("rejects a non-numeric timestamp even when it is signed", async () => {
    const timestamp = "1531420618.5";
    const signature = await slackSignature(SECRET, timestamp, BODY);
    expect(await verifySlackRequest({ ...base, timestamp, signature })).toBe(false);
  });

  it("rejects missing headers", async () => {
    expect(await verifySlackRequest({ ...base, timestamp: null })).toBe(false);
    expect(await verifySlackRequest({ ...base, signature: null })).toBe(false);
    expect(await verifySlackRequest({ ...base, signingSecret: "" })).toBe(false);
  });

  it("rejects signatures that are not v0 hex of the right length", async () => {
    expect(await verifySlackRequest({ ...base, signature: SIGNATURE.replace("v0=", "v1=") })).toBe(
      false,
    );
    expect(await verifySlackRequest({ ...base, signature: SIGNATURE.slice(0, -2) })).toBe(false);
    expect(await verifySlackRequest({ ...base, signature: `${SIGNATURE.slice(0, -1)}g` })).toBe(
      false,
    );
  });
});
