import type { HistoryEntry } from "../chat/types.ts";
import type { ChatMessage, ContentPart, ModelInfo } from "../openrouter/types.ts";
import type { PreparedAttachments } from "./attachments.ts";

/** Role, framing and separators of one chat message, in tokens (OpenAI counts 3–4). */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** A large image costs about 1,100 (OpenAI) to 1,600 (Anthropic) tokens; assume the worse. */
const IMAGE_TOKENS = 1_600;
/**
 * PDF bytes per token, a rough guess (text-heavy pages run about 30–60 bytes a token,
 * scanned ones far more); it only decides how much earlier history makes room.
 */
const PDF_BYTES_PER_TOKEN = 50;
/** Most answer room reserved when the channel sets no `max_tokens`. */
const MAX_RESERVE_TOKENS = 32_000;
/** Least of a too-long question kept, even when the context says less (the request may still fit). */
const MIN_QUESTION_CHARS = 400;

export interface BuildChatMessagesOptions {
  /** The thread, oldest first; the last entry is the question. */
  history: HistoryEntry[];
  system?: string;
  /** The model's context window. */
  contextTokens: number;
  /** Room left for the answer (see `reserveFor`). */
  reserveTokens: number;
  /**
   * What `prepareAttachments` made of the entries' attachments: parts to send and lines
   * naming each attachment. Without it no file is sent and each is only named.
   */
  attachments?: PreparedAttachments;
  /** Used only without `attachments`: whether the named images could have been seen. */
  supportsImages?: boolean;
}

/**
 * Estimated tokens of a text, without a tokenizer and on the high side: tokenizers give
 * about four ASCII characters per token, fewer for other scripts, and about one token per
 * CJK character, so this counts three ASCII, two other-alphabet or one wider character
 * per token.
 */
export function estimateTokens(text: string): number {
  let ascii = 0;
  let narrow = 0;
  let wide = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) ascii++;
    else if (code < 0x800) narrow++;
    else wide++;
  }
  return Math.ceil(ascii / 3 + narrow / 2 + wide);
}

/** Room to leave for the answer: the channel's `max_tokens`, else min(max completion, 25% of context, 32k). */
export function reserveFor(model: ModelInfo, maxTokens?: number): number {
  if (maxTokens !== undefined && maxTokens > 0) return maxTokens;
  const quarter = Math.floor(model.contextLength / 4);
  return Math.min(model.maxCompletionTokens ?? quarter, quarter, MAX_RESERVE_TOKENS);
}

interface Turn {
  role: "user" | "assistant";
  text: string;
  parts: ContentPart[];
}

/**
 * Turns a thread into chat messages for the model: the bot's own messages become
 * `assistant` turns, everyone else's `user` turns prefixed with who wrote them. Keeps the
 * question always and as many earlier turns as fit, newest first, within
 * `contextTokens - reserveTokens`; the first kept turn is a `user` turn and consecutive
 * turns of one role are merged, since some providers reject two in a row.
 */
export function buildChatMessages(opts: BuildChatMessagesOptions): {
  messages: ChatMessage[];
  droppedTurns: number;
} {
  const { history } = opts;
  const toTurn = (entry: HistoryEntry) => turnOf(entry, opts);
  const system = systemText(opts);
  const systemTokens = system ? estimateTokens(system) + MESSAGE_OVERHEAD_TOKENS : 0;
  const budget = opts.contextTokens - opts.reserveTokens - systemTokens;
  // An empty message of the bot (a placeholder it never filled) says nothing and some providers reject it.
  const entries = history
    .slice(0, -1)
    .filter((entry) => !entry.fromBot || entry.text.trim() !== "");
  const asked = history.at(-1);
  if (!asked)
    return { messages: system ? [{ role: "system", content: system }] : [], droppedTurns: 0 };

  const question = fitQuestion({ ...toTurn(asked), role: "user" }, budget);
  let used = turnTokens(question);
  let first = entries.length;
  while (first > 0) {
    const cost = turnTokens(toTurn(entries[first - 1] as HistoryEntry));
    if (used + cost > budget) break;
    used += cost;
    first--;
  }
  // A conversation sent to the model opens with a user turn.
  while (first < entries.length && entries[first]?.fromBot) first++;

  const kept = entries.slice(first).map(toTurn);
  const messages: ChatMessage[] = system ? [{ role: "system", content: system }] : [];
  for (const turn of merge([...kept, question])) messages.push(toMessage(turn));
  return { messages, droppedTurns: first };
}

function systemText(opts: BuildChatMessagesOptions): string {
  return opts.system?.trim() ?? "";
}

function turnOf(entry: HistoryEntry, opts: BuildChatMessagesOptions): Turn {
  if (entry.fromBot) return { role: "assistant", text: entry.text, parts: [] };
  const who = entry.author.name ? `${entry.author.name} (${entry.author.id})` : entry.author.id;
  const prepared = opts.attachments?.entries.get(entry.id);
  const lines = prepared?.lines ?? unpreparedLines(entry, opts.supportsImages);
  const text = `${who}: ${[entry.text, ...lines].filter((t) => t !== "").join("\n")}`;
  return { role: "user", text, parts: [...(prepared?.parts ?? [])] };
}

/** Attachments named for the model when none were prepared: it knows they exist, not what they show. */
function unpreparedLines(entry: HistoryEntry, supportsImages?: boolean): string[] {
  return (entry.attachments ?? []).map((a, i) => {
    const image = a.mimeType?.startsWith("image/") ?? false;
    const why = image && supportsImages === false ? "this model cannot see images" : "not sent";
    return `[${image ? "image" : "file"} attached: ${a.name ?? `attachment ${i + 1}`} (not shown to you: ${why})]`;
  });
}

function partTokens(parts: ContentPart[]): number {
  let tokens = 0;
  for (const part of parts) {
    if (part.type === "image_url") tokens += IMAGE_TOKENS;
    else if (part.type === "file") {
      // A base64 data URL holds three bytes in every four characters.
      const bytes = (part.file.file_data.length * 3) / 4;
      tokens += Math.max(IMAGE_TOKENS, Math.ceil(bytes / PDF_BYTES_PER_TOKEN));
    } else tokens += estimateTokens(part.text);
  }
  return tokens;
}

function turnTokens(turn: Turn): number {
  return estimateTokens(turn.text) + partTokens(turn.parts) + MESSAGE_OVERHEAD_TOKENS;
}

/** Cuts the middle out of a question too long for the context, and says so in the text. */
function fitQuestion(turn: Turn, budget: number): Turn {
  if (turnTokens(turn) <= budget || turn.text.length <= MIN_QUESTION_CHARS) return turn;
  const note = (cut: number) =>
    `\n\n[… ${cut} characters cut from the middle of this message to fit the model's context …]\n\n`;
  const room =
    budget -
    partTokens(turn.parts) -
    MESSAGE_OVERHEAD_TOKENS -
    estimateTokens(note(turn.text.length));
  // The estimate gives at most one token per character; shrink until it fits.
  let keep = Math.max(MIN_QUESTION_CHARS, Math.min(turn.text.length - 1, room * 3));
  for (;;) {
    const head = Math.ceil(keep / 2);
    const text =
      turn.text.slice(0, head) +
      note(turn.text.length - keep) +
      turn.text.slice(turn.text.length - (keep - head));
    const fitted = { ...turn, text };
    if (turnTokens(fitted) <= budget || keep <= MIN_QUESTION_CHARS) return fitted;
    keep = Math.max(MIN_QUESTION_CHARS, Math.floor(keep * 0.9));
  }
}

function merge(turns: Turn[]): Turn[] {
  const out: Turn[] = [];
  for (const turn of turns) {
    const last = out.at(-1);
    if (last && last.role === turn.role) {
      last.text = `${last.text}\n\n${turn.text}`;
      last.parts = [...last.parts, ...turn.parts];
    } else out.push({ ...turn, parts: [...turn.parts] });
  }
  return out;
}

function toMessage(turn: Turn): ChatMessage {
  if (!turn.parts.length) return { role: turn.role, content: turn.text };
  // Text first, then the files: OpenRouter advises this order for images.
  return { role: turn.role, content: [{ type: "text", text: turn.text }, ...turn.parts] };
}
