/**
 * The conversations a run sends: Slack `app_mention` events (Events API envelopes signed
 * with HMAC-SHA256, as Slack signs them) and Discord `/ask` interactions (APPLICATION_COMMAND,
 * signed with a generated Ed25519 key), each question carrying a unique id that the fake
 * OpenRouter turns into a unique answer, so every answer can be found again exactly once.
 */
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import type { FakeDiscord } from "../../test/fakes/discord-api.ts";
import type { ScriptedReply } from "../../test/fakes/openrouter.ts";
import { askInteraction } from "../../test/support/discord-payloads.ts";
import type { SlackWorkspaces } from "./http-fakes.ts";

export const SIGNING_SECRET = "load-bench-signing-secret-0123456789";

export interface Conversation {
  id: string;
  platform: "slack" | "discord";
  workspace: string;
  channel: string;
  /** Slack: the mention's ts (the thread). Discord: the interaction token. */
  thread: string;
  answer: string;
  sentAt: number;
  ackMs?: number;
  ackStatus?: number;
  /** Discord: the deferred `@original` message the answer edits. */
  originalId?: string;
  completedAt?: number;
}

export interface Layout {
  prefix: string;
  slackTeams: number;
  discordGuilds: number;
  channelsPerWorkspace: number;
  perChannel: number;
  words: number;
}

const VOCABULARY =
  "quarry answer research source paper finding method result model data study review claim evidence trend report survey metric sample range value".split(
    " ",
  );

/** The answer the fake model gives to question `id`: begin and end markers around plain words. */
export function answerText(id: string, words: number): string {
  let seed = [...id].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7);
  const body: string[] = [];
  for (let i = 0; i < words; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    body.push(VOCABULARY[seed % VOCABULARY.length] as string);
  }
  return `${beginMarker(id)} ${body.join(" ")} ${endMarker(id)}`;
}

export const beginMarker = (id: string) => `ANS-${id}-BEGIN`;
export const endMarker = (id: string) => `ANS-${id}-END`;
const QUESTION_ID = /QID-([A-Za-z0-9]+)/g;

/** What the fake model streams for a request: the answer of the last question id it names. */
export function replyFor(answers: Map<string, string>, delayMs: number) {
  return (body: string): ScriptedReply => {
    const ids = [...body.matchAll(QUESTION_ID)].map((m) => m[1] as string);
    const id = ids.at(-1) ?? "unknown";
    const text = answers.get(id) ?? answerText(id, 20);
    return {
      text: [text],
      words: true,
      delayMs,
      usage: { cost: 0.002, promptTokens: 400, completionTokens: text.length / 4 },
    };
  };
}

/** Creates the workspaces, channels and users of `layout` in the fakes; returns the conversations. */
export function plan(layout: Layout, slack: SlackWorkspaces, discord: FakeDiscord): Conversation[] {
  const out: Conversation[] = [];
  const n = (i: number) => String(i).padStart(2, "0");
  for (let t = 0; t < layout.slackTeams; t++) {
    const team = `T${layout.prefix}${n(t)}`;
    const channels = Array.from(
      { length: layout.channelsPerWorkspace },
      (_, c) => `C${team}${n(c)}`,
    );
    const user = `U${team}ASK`;
    slack.add(team, channels, [user]);
    for (const channel of channels)
      for (let q = 0; q < layout.perChannel; q++)
        out.push(conversation("slack", `${channel}Q${q}`, team, channel, layout));
  }
  for (let g = 0; g < layout.discordGuilds; g++) {
    const guild = `12${layout.prefix.charCodeAt(0)}${n(g)}`.padEnd(19, "0");
    discord.addGuild(guild);
    for (let c = 0; c < layout.channelsPerWorkspace; c++) {
      const channel = discord.addChannel({ guild_id: guild, type: 0 }).id;
      for (let q = 0; q < layout.perChannel; q++)
        out.push(
          conversation("discord", `D${layout.prefix}${n(g)}${n(c)}Q${q}`, guild, channel, layout),
        );
    }
  }
  return out;
}

function conversation(
  platform: Conversation["platform"],
  id: string,
  workspace: string,
  channel: string,
  layout: Layout,
): Conversation {
  return {
    id,
    platform,
    workspace,
    channel,
    thread: "",
    answer: answerText(id, layout.words),
    sentAt: 0,
  };
}

/** A webhook request as the platform would send it, ready for fire.ts. */
export interface SignedRequest {
  method: "POST";
  headers: Record<string, string>;
  body: string;
}

let tsCounter = 0;

/** The signed request Slack would send for an @mention asking question `c.id`. */
export function slackMention(c: Conversation, slack: SlackWorkspaces): SignedRequest {
  const now = Date.now();
  c.thread = `${Math.floor(now / 1000)}.${String(++tsCounter).padStart(6, "0")}`;
  const user = `U${c.workspace}ASK`;
  const text = `<@U0QUARRY> QID-${c.id} what does the research say?`;
  slack.byTeam.get(c.workspace)?.seedMessage(c.channel, { ts: c.thread, user, text });
  const event = {
    type: "app_mention",
    user,
    text,
    ts: c.thread,
    channel: c.channel,
    event_ts: c.thread,
    team: c.workspace,
  };
  const body = JSON.stringify({
    token: "legacy",
    team_id: c.workspace,
    api_app_id: "A0QUARRY",
    event,
    type: "event_callback",
    event_id: `Ev${c.id}`,
    event_time: Math.floor(now / 1000),
    authorizations: [{ team_id: c.workspace, user_id: "U0QUARRY", is_bot: true }],
  });
  return signedSlack(body);
}

export function signedSlack(body: string, secret = SIGNING_SECRET): SignedRequest {
  const ts = String(Math.floor(Date.now() / 1000));
  const mac = createHmac("sha256", secret).update(`v0:${ts}:${body}`).digest("hex");
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-slack-request-timestamp": ts,
      "x-slack-signature": `v0=${mac}`,
    },
    body,
  };
}

export interface DiscordSigner {
  /** The public key as the Developer Portal shows it: 64 hex characters. */
  publicKeyHex: string;
  sign(rawBody: string): Record<string, string>;
}

/** Signs as Discord does: Ed25519 over `timestamp + raw body`, hex in `X-Signature-Ed25519`. */
export function discordSigner(): DiscordSigner {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  // The raw key is the last 32 bytes of its SPKI encoding.
  const publicKeyHex = publicKey
    .export({ format: "der", type: "spki" })
    .subarray(-32)
    .toString("hex");
  return {
    publicKeyHex,
    sign(rawBody) {
      const ts = String(Math.floor(Date.now() / 1000));
      return {
        "content-type": "application/json",
        "x-signature-ed25519": sign(null, Buffer.from(`${ts}${rawBody}`), privateKey).toString(
          "hex",
        ),
        "x-signature-timestamp": ts,
      };
    },
  };
}

let interactionCounter = 0n;

/** The signed `/ask` interaction Discord would send; the fake learns of it as Discord would. */
export function discordAsk(
  c: Conversation,
  discord: FakeDiscord,
  signer: DiscordSigner,
): SignedRequest {
  const id = (BigInt(Date.now() - 1420070400000) << 22n) + ++interactionCounter;
  c.thread = `load-token-${id}`;
  const base = askInteraction(`QID-${c.id} what does the research say?`, {
    id: String(id),
    channel: { id: c.channel, type: 0 },
  });
  const body = JSON.stringify({
    ...base,
    token: c.thread,
    guild_id: c.workspace,
    channel: { id: c.channel, type: 0, guild_id: c.workspace },
  });
  discord.pendInteraction(c.thread, c.channel);
  return { method: "POST", headers: signer.sign(body), body };
}
