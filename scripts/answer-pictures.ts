/**
 * The README's pictures of a finished answer: `npm run pictures` (needs Chromium, e.g.
 * Debian's `chromium` package, or `CHROMIUM=/path/to/chrome`).
 *
 * A scripted deep-research answer (text with inline links, citations, usage) goes through
 * the same steps as a real one at its end (sources numbered, footer, status header) and the
 * real reply writer and adapters deliver it to the Slack and Discord test fakes. What the
 * fakes then hold is rendered to HTML in each platform's look and captured headless into
 * docs/answer-slack.png and docs/answer-discord.png.
 */
import { marked } from "marked";
import { DiscordApi } from "../adapters/discord/api.ts";
import { discordDelivery } from "../adapters/discord/delivery.ts";
import { createDiscordAdapter } from "../adapters/discord/discord-adapter.ts";
import { SlackApi } from "../adapters/slack/api.ts";
import { createSlackAdapter } from "../adapters/slack/slack-adapter.ts";
import { answerFooter, summaryLine } from "../src/answer/progress.ts";
import { numberSources } from "../src/answer/sources.ts";
import type { ChatAdapter } from "../src/chat/adapter.ts";
import type { Question } from "../src/chat/types.ts";
import { ReplyWriter } from "../src/delivery/reply-writer.ts";
import { FAKE_DISCORD_URL, FakeDiscord } from "../test/fakes/discord-api.ts";
import { FAKE_SLACK_URL, FakeSlack } from "../test/fakes/slack-api.ts";

interface NodeProcess {
  env: Record<string, string | undefined>;
  getBuiltinModule(id: "node:fs"): {
    writeFileSync(path: string, data: string): void;
    mkdirSync(path: string, opts: { recursive: true }): void;
  };
  getBuiltinModule(id: "node:child_process"): {
    execFileSync(file: string, args: string[], opts: { stdio: "inherit" }): void;
  };
}
const node = process as unknown as NodeProcess;

const MODEL = "openai/o4-mini-deep-research";
const QUESTION = "what changed between HTTP/2 and HTTP/3?";
const TEXT = `HTTP/3 keeps HTTP's semantics but maps them onto [QUIC](https://www.rfc-editor.org/rfc/rfc9114), which runs over UDP instead of TCP ([RFC 9000](https://www.rfc-editor.org/rfc/rfc9000)).

**What changed**
- **No head-of-line blocking across streams**: a lost packet stalls only its own stream.
- **Faster connections**: the transport and TLS 1.3 handshakes are combined, with 0-RTT resumption.
- **Connection migration**: a connection survives a change of network (Wi-Fi to mobile).
- **QPACK** replaces HPACK for header compression ([RFC 9204](https://www.rfc-editor.org/rfc/rfc9204)).

Adoption is broad: most large CDNs and browsers enable it by default.`;
const CITATIONS = [
  { url: "https://www.rfc-editor.org/rfc/rfc9114", title: "RFC 9114: HTTP/3" },
  { url: "https://www.rfc-editor.org/rfc/rfc9000", title: "RFC 9000: QUIC" },
  { url: "https://www.rfc-editor.org/rfc/rfc9204", title: "RFC 9204: QPACK" },
  {
    url: "https://blog.cloudflare.com/http3-the-past-present-and-future/",
    title: "HTTP/3: the past, the present, and the future",
  },
];
const USAGE = {
  promptTokens: 12_301,
  completionTokens: 3_210,
  reasoningTokens: 2_100,
  webSearches: 14,
  cost: 0.43,
};
const ELAPSED_MS = 372_000;

/** The final text and status header exactly as `finishAnswered` builds them. */
function finishedAnswer(): { text: string; header: string } {
  const cost = { usage: USAGE, model: MODEL, elapsedMs: ELAPSED_MS };
  const { text, sources } = numberSources(TEXT, CITATIONS);
  return {
    text: `${text}\n\n${answerFooter({ ...cost, sources, notes: [] })}`,
    header: `✅ ${summaryLine(cost)}`,
  };
}

async function deliver(adapter: ChatAdapter, question: Question): Promise<void> {
  const writer = new ReplyWriter({ adapter, question, native: false });
  const { text, header } = finishedAnswer();
  await writer.finish(text, "", header);
}

async function slack(): Promise<string[]> {
  const fake = new FakeSlack({ nativeStreaming: "unknown_method" });
  const ts = "1700000000.000100";
  fake.seedMessage("C0GENERAL", { ts, user: "U0ANA", text: `<@U0QUARRY> ${QUESTION}` });
  const api = new SlackApi({
    baseUrl: FAKE_SLACK_URL,
    token: fake.token,
    fetch: async (input, init) => fake.handle(new Request(input, init)),
  });
  const question: Question = {
    id: `slack:C0GENERAL:${ts}`,
    thread: { platform: "slack", workspaceId: fake.teamId, channelId: "C0GENERAL", threadId: ts },
    text: QUESTION,
    trigger: "mention",
    user: { id: "U0ANA", name: "Ana" },
    messageId: ts,
    receivedAt: Date.now(),
  };
  await deliver(createSlackAdapter({ api, botUserId: fake.botUserId }), question);
  return fake
    .thread("C0GENERAL", ts)
    .filter((m) => m.bot_id)
    .map((m) => m.text);
}

async function discord(): Promise<string[]> {
  const fake = new FakeDiscord();
  const channel = fake.addChannel({ guild_id: "900000000000000001", type: 0 });
  const asked = fake.seedMessage(channel.id, { content: `<@${fake.applicationId}> ${QUESTION}` });
  const api = new DiscordApi({
    baseUrl: FAKE_DISCORD_URL,
    token: fake.token,
    applicationId: fake.applicationId,
    fetch: async (input, init) => fake.handle(new Request(input, init)),
  });
  const question: Question = {
    id: `discord:message:${asked.id}`,
    thread: {
      platform: "discord",
      workspaceId: "900000000000000001",
      channelId: channel.id,
      threadId: asked.id,
    },
    text: QUESTION,
    trigger: "mention",
    user: { id: asked.author.id, name: "Ana" },
    messageId: asked.id,
    receivedAt: Date.now(),
    delivery: discordDelivery({ channelId: channel.id, replyTo: asked.id }),
  };
  await deliver(createDiscordAdapter({ api, botUserId: fake.applicationId }), question);
  return fake
    .visible(channel.id)
    .filter((m) => m.fromBot)
    .map((m) => m.content);
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

function page(platform: "slack" | "discord", messages: string[]): string {
  const dark = platform === "discord";
  const css = `
    body { margin: 0; padding: 20px; width: 760px; font: 15px/1.46 -apple-system, "Segoe UI", Lato, "Helvetica Neue", Arial, sans-serif;
           background: ${dark ? "#313338" : "#ffffff"}; color: ${dark ? "#dbdee1" : "#1d1c1d"}; }
    .m { display: flex; gap: 10px; margin: 10px 0; }
    .av { width: 36px; height: 36px; border-radius: ${dark ? "50%" : "6px"}; flex: none; }
    .who { font-weight: 700; color: ${dark ? "#f2f3f5" : "#1d1c1d"}; }
    .tag { font-size: 10px; padding: 1px 4px; border-radius: 3px; margin-left: 4px; vertical-align: 1px;
           background: ${dark ? "#5865f2" : "#e8e8e8"}; color: ${dark ? "#fff" : "#616061"}; }
    a { color: ${dark ? "#00a8fc" : "#1264a3"}; text-decoration: none; }
    code { background: ${dark ? "#2b2d31" : "#f2f2f2"}; padding: 1px 3px; border-radius: 3px; font-size: 13px; }
    p, ul, ol { margin: 2px 0 6px; } ul, ol { padding-left: 22px; }
    .reply { font-size: 13px; color: ${dark ? "#949ba4" : "#616061"}; margin-left: 46px; }`;
  const row = (who: string, color: string, html: string, bot: boolean) =>
    `<div class="m"><div class="av" style="background:${color}"></div><div><span class="who">${who}</span>${bot ? `<span class="tag">APP</span>` : ""}<div>${html}</div></div></div>`;
  const asked = `@Quarry ${QUESTION}`;
  const rows = [row("Ana", "#e8912d", `<p>${escapeHtml(asked)}</p>`, false)];
  if (dark) rows.push(`<div class="reply">↳ replying to Ana</div>`);
  for (const m of messages) rows.push(row("Quarry", "#2f3b45", marked.parse(m) as string, true));
  return `<!doctype html><meta charset="utf-8"><style>${css}</style>${rows.join("\n")}`;
}

export async function run(): Promise<void> {
  const fs = node.getBuiltinModule("node:fs");
  const { execFileSync } = node.getBuiltinModule("node:child_process");
  fs.mkdirSync("docs", { recursive: true });
  const chromium = node.env.CHROMIUM ?? "chromium";
  for (const [name, messages] of [
    ["slack", await slack()],
    ["discord", await discord()],
  ] as const) {
    const html = `docs/answer-${name}.html`;
    fs.writeFileSync(html, page(name, messages));
    execFileSync(
      chromium,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=/tmp/quarry-pictures-${name}`,
        "--window-size=800,720",
        `--screenshot=docs/answer-${name}.png`,
        `file://${node.env.PWD}/${html}`,
      ],
      { stdio: "inherit" },
    );
    console.log(`docs/answer-${name}.png: ${messages.length} message(s)`);
  }
}

await run();
