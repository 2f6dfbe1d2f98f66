/**
 * The Socket Mode bridge: Bolt's `SocketModeReceiver` holds the WebSocket to Slack (app-level
 * token), and every envelope it hands over (events, slash commands, interactions) is POSTed
 * to the local Worker's `/slack/events` exactly as Slack would POST it over HTTP, signed with
 * SLACK_SIGNING_SECRET. The Worker's answer goes back in the envelope's ack. Node only: it
 * never runs in the Worker (test/architecture.test.ts keeps it out of the bundle).
 */
import {
  type App,
  type Logger,
  LogLevel,
  type ReceiverEvent,
  SocketModeReceiver,
} from "@slack/bolt";
import { type Dispatcher, request } from "undici";
import {
  type AckDecision,
  ackFor,
  describeEnvelope,
  type Envelope,
  isForwardable,
  signedRequest,
} from "./envelope-request.ts";

/** Generous: a cold `wrangler dev` compiles on the first request. Slack redelivers if late. */
const WORKER_TIMEOUT_MS = 10_000;

export interface BridgeOptions {
  /** App-level token (`xapp-…`) with the `connections:write` scope. */
  appToken: string;
  signingSecret: string;
  /** The Worker's Slack route, e.g. `http://localhost:8787/slack/events`. */
  workerUrl: string;
  /** Slack's Web API (ends with `/`); tests point it at a fake. */
  slackApiUrl?: string;
  /** undici dispatcher for the calls to the Worker and to Slack (proxies, tests). */
  dispatcher?: Dispatcher;
  /** Where the bridge's one-line notes go (default `console.log`). */
  log?: (line: string) => void;
  /** Told once per envelope, after it was acknowledged or left for Slack to redeliver. */
  onEnvelope?: (report: EnvelopeReport) => void;
}

export interface EnvelopeReport {
  /** "event app_mention", "command /ask", "interaction block_actions"… */
  what: string;
  /** The Worker's HTTP status, when it answered. */
  status?: number;
  acked: boolean;
  /** True when the ack carried the Worker's answer (an ephemeral reply, say). */
  relayed: boolean;
  problem?: string;
}

export interface Bridge {
  stop(): Promise<void>;
}

export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const receiver = new SocketModeReceiver({
    appToken: opts.appToken,
    dispatcher: opts.dispatcher,
    logger: boltLogger(log),
    installerOptions: opts.slackApiUrl ? { clientOptions: { slackApiUrl: opts.slackApiUrl } } : {},
    // The envelope type picks the HTTP form (JSON, command form, `payload=` form); Bolt's
    // receiver event carries only the payload, so take the type from the raw envelope.
    customPropertiesExtractor: (args: { type?: string }) => ({ envelopeType: args.type ?? "" }),
  });

  const forward = async (event: ReceiverEvent): Promise<void> => {
    const envelope: Envelope = {
      type: String(event.customProperties?.envelopeType ?? ""),
      payload: event.body,
      retryAttempt: event.retryNum,
      retryReason: event.retryReason,
    };
    if (!isForwardable(envelope.type)) {
      await event.ack();
      return report({ what: envelope.type || "envelope", acked: true, relayed: false });
    }
    const what = describeEnvelope(envelope);
    const signed = signedRequest(envelope, opts.signingSecret);
    let status: number | undefined;
    let decision: AckDecision;
    try {
      const res = await request(opts.workerUrl, {
        method: "POST",
        headers: signed.headers,
        body: signed.body,
        dispatcher: opts.dispatcher,
        headersTimeout: WORKER_TIMEOUT_MS,
        bodyTimeout: WORKER_TIMEOUT_MS,
      });
      status = res.statusCode;
      const text = await res.body.text();
      decision = ackFor(envelope.type, status, String(res.headers["content-type"] ?? ""), text);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      decision = {
        kind: "retry",
        problem: `the Worker did not answer (${reason}): is npm start running?`,
      };
    }
    if (decision.kind === "ack") await event.ack(decision.payload);
    report({
      what,
      status,
      acked: decision.kind === "ack",
      relayed: decision.kind === "ack" && decision.payload !== undefined,
      problem: decision.problem,
    });
  };

  const report = (r: EnvelopeReport) => {
    const outcome = r.acked
      ? r.relayed
        ? "acked, reply relayed"
        : "acked"
      : "not acked, Slack will redeliver";
    log(
      `[slack:socket] ${r.what} → ${r.status ?? "no answer"} (${outcome})${r.problem ? `: ${r.problem}` : ""}`,
    );
    opts.onEnvelope?.(r);
  };

  // Bolt's receivers only ever call `processEvent` on the app they are given: the bridge
  // is that app, with no listeners of its own, so nothing is handled twice or dropped.
  const app = {
    processEvent: (event: ReceiverEvent) =>
      forward(event).catch((err: unknown) =>
        log(`[slack:socket] forwarding failed: ${String(err)}`),
      ),
  };
  receiver.init(app as unknown as App);
  await receiver.start();
  // The client's own disconnect resolves once the socket is closed (the receiver's does not wait).
  return { stop: () => receiver.client.disconnect() };
}

/** Bolt's warnings and errors (reconnects, refused tokens) as the bridge's own lines. */
function boltLogger(log: (line: string) => void): Logger {
  let level = LogLevel.WARN;
  const say = (args: unknown[]) => log(`[slack:socket] ${args.map(String).join(" ")}`);
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...args) => say(args),
    error: (...args) => say(args),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
