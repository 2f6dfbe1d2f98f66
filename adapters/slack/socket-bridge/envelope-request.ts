/**
 * What Slack would have POSTed over HTTP for one Socket Mode envelope, signed as Slack signs
 * it, and what of the Worker's answer goes back in the envelope's ack. Node only.
 * https://docs.slack.dev/apis/events-api/using-socket-mode
 */
import { createHmac } from "node:crypto";

/** The envelope types that carry a request for the app (hello/disconnect never reach here). */
export type EnvelopeType = "events_api" | "slash_commands" | "interactive";

export interface Envelope {
  type: string;
  payload: Record<string, unknown>;
  /** 0 on the first delivery; Slack's HTTP retries are numbered from 1 the same way. */
  retryAttempt?: number;
  retryReason?: string;
}

export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
}

/** `v0=` + hex HMAC-SHA256(signing secret, `v0:{timestamp}:{body}`), as the Worker checks. */
export function slackSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

/** The HTTP body Slack sends for this envelope type over HTTP, with its content type. */
function httpBody(envelope: Envelope): { contentType: string; body: string } {
  switch (envelope.type) {
    case "events_api":
      return { contentType: "application/json", body: JSON.stringify(envelope.payload) };
    case "slash_commands": {
      // Over HTTP a command is a form of strings; Socket Mode hands the same fields as JSON.
      const form = new URLSearchParams();
      for (const [key, value] of Object.entries(envelope.payload))
        if (value !== undefined && value !== null)
          form.append(key, typeof value === "object" ? JSON.stringify(value) : String(value));
      return { contentType: "application/x-www-form-urlencoded", body: form.toString() };
    }
    case "interactive":
      return {
        contentType: "application/x-www-form-urlencoded",
        body: new URLSearchParams({ payload: JSON.stringify(envelope.payload) }).toString(),
      };
    default:
      throw new Error(`no HTTP form for Socket Mode envelope type "${envelope.type}"`);
  }
}

export function isForwardable(type: string): type is EnvelopeType {
  return type === "events_api" || type === "slash_commands" || type === "interactive";
}

/** The signed request for `envelope`, stamped `nowSeconds`. */
export function signedRequest(
  envelope: Envelope,
  signingSecret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): SignedRequest {
  const { contentType, body } = httpBody(envelope);
  const timestamp = String(nowSeconds);
  const headers: Record<string, string> = {
    "content-type": contentType,
    "x-slack-request-timestamp": timestamp,
    "x-slack-signature": slackSignature(signingSecret, timestamp, body),
  };
  if (envelope.retryAttempt && envelope.retryAttempt > 0) {
    headers["x-slack-retry-num"] = String(envelope.retryAttempt);
    if (envelope.retryReason) headers["x-slack-retry-reason"] = envelope.retryReason;
  }
  return { headers, body };
}

/**
 * What to do with the Worker's answer:
 * - `ack` with the body to relay (a command's ephemeral reply, a view's response_action);
 * - `retry`: leave the envelope unacknowledged so Slack delivers it again, as it retries
 *   an HTTP request that failed with a 5xx or went unanswered.
 */
export type AckDecision =
  | { kind: "ack"; payload?: Record<string, unknown>; problem?: string }
  | { kind: "retry"; problem: string };

export function ackFor(
  type: EnvelopeType,
  status: number,
  contentType: string,
  text: string,
): AckDecision {
  if (status >= 500) return { kind: "retry", problem: `the Worker answered ${status}` };
  if (status === 401)
    return {
      kind: "ack",
      problem:
        "the Worker refused the signature (401): the bridge's SLACK_SIGNING_SECRET differs from the Worker's",
    };
  if (status >= 300)
    return { kind: "ack", problem: `the Worker answered ${status}: ${text.trim().slice(0, 200)}` };
  // Slack takes no response payload for Events API envelopes.
  if (type === "events_api" || !text.trim()) return { kind: "ack" };
  if (contentType.includes("application/json")) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
        return { kind: "ack", payload: parsed as Record<string, unknown> };
    } catch {
      return { kind: "ack", problem: "the Worker answered JSON that does not parse" };
    }
  }
  // Over HTTP a plain-text answer to a command is shown as an ephemeral message.
  return { kind: "ack", payload: { text } };
}

/** One short line naming what an envelope is, for the bridge's log. */
export function describeEnvelope(envelope: Envelope): string {
  const p = envelope.payload;
  if (envelope.type === "events_api") {
    const event = p.event as { type?: string; subtype?: string } | undefined;
    return `event ${event?.type ?? "?"}${event?.subtype ? `/${event.subtype}` : ""}`;
  }
  if (envelope.type === "slash_commands") return `command ${String(p.command ?? "?")}`;
  return `interaction ${String(p.type ?? "?")}`;
}
