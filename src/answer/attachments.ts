/**
 * Which attachments of a conversation the model gets, as content parts: images as
 * `image_url` data URLs for models whose catalog lists `image` input, PDFs as `file` parts
 * for models that list `file` input. At most `limits.maxCount` per question and
 * `limits.maxBytes` each. The question's own attachments come first; the slots left go to
 * the newest attachments of earlier turns, so "and the second chart?" still has the chart,
 * without a long thread sending (and downloading) every file again.
 *
 * Nothing is downloaded for a model that could not use it. Every attachment the model does
 * not get is named in the text it reads (so it can say so), and, for the question's own
 * attachments, in a note for the answer's footer. A failed download is such a note, never a
 * failed answer.
 */
import type { ChatAdapter } from "../chat/adapter.ts";
import { ATTACHMENT_MAX_BYTES, formatBytes } from "../chat/file-download.ts";
import type { Attachment, HistoryEntry, Question } from "../chat/types.ts";
import type { ContentPart, ModelInfo } from "../openrouter/types.ts";

export interface AttachmentLimits {
  /** Largest file sent (bytes). */
  maxBytes: number;
  /** Most attachments sent with one question, earlier turns' included. */
  maxCount: number;
}

export const ATTACHMENT_LIMITS: AttachmentLimits = { maxBytes: ATTACHMENT_MAX_BYTES, maxCount: 4 };

/** What one history entry's attachments become. */
export interface EntryAttachments {
  /** Sent after the entry's text, in the entry's order: `image_url` and `file` parts. */
  parts: ContentPart[];
  /** One line per attachment for the entry's text, saying what it is and whether the model sees it. */
  lines: string[];
}

/** The result of `prepareAttachments`. */
export interface PreparedAttachments {
  /** By `HistoryEntry.id`, for every non-bot entry that has attachments. */
  entries: Map<string, EntryAttachments>;
  /**
   * Short sentences for the answer's footer about the question's own attachments the model
   * did not get (none when it got them all). Earlier turns' attachments get no notes: their
   * own answers already said what happened to them.
   */
  notes: string[];
}

/** Image types every vision provider on OpenRouter takes. */
const IMAGE_TYPES: ReadonlySet<string> = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
]);
const PDF = "application/pdf";
const BY_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  pdf: PDF,
};

type Kind = "image" | "pdf" | "other";

interface Item {
  entry: HistoryEntry;
  attachment: Attachment;
  name: string;
  kind: Kind;
  /** How the model's text calls it. */
  label: "image" | "PDF" | "file";
  /** Why the model does not get it; undefined while it may. */
  skipped?: string;
  /** How the note words it: the model cannot use the kind, the download failed, or a rule. */
  why?: "blind" | "failed" | "rule";
  /** Set when it is downloaded and sent. */
  part?: ContentPart;
}

/**
 * Downloads what `model` can use of the attachments in `history` (whose last entry is the
 * question) through `adapter.fetchAttachment`, within `limits`, and says what it left out.
 * Never throws for an attachment: every failure becomes a line and, for the question's
 * own attachments, a note.
 */
export async function prepareAttachments(
  history: readonly HistoryEntry[],
  adapter: Pick<ChatAdapter, "platform" | "fetchAttachment">,
  question: Question,
  model: Pick<ModelInfo, "id" | "inputModalities">,
  limits: AttachmentLimits = ATTACHMENT_LIMITS,
): Promise<PreparedAttachments> {
  const own = itemsOf(history.at(-1));
  const earlier = history
    .slice(0, -1)
    .reverse()
    .flatMap((entry) => itemsOf(entry));
  const all = [...own, ...earlier];
  const platform = adapter.platform === "slack" ? "Slack" : "Discord";
  const wanted = choose(all, own.length, adapter, model, limits, platform);
  await Promise.all(wanted.map((item) => download(item, adapter, question, limits, platform)));

  const entries = new Map<string, EntryAttachments>();
  for (const item of all) {
    const at = entries.get(item.entry.id) ?? { parts: [], lines: [] };
    entries.set(item.entry.id, at);
    if (item.part) {
      at.parts.push(item.part);
      at.lines.push(`[${item.label} attached: ${item.name}]`);
    } else {
      at.lines.push(`[${item.label} attached: ${item.name} (not shown to you: ${item.skipped})]`);
    }
  }
  return { entries, notes: notesFor(own) };
}

function skip(item: Item, why: Item["why"], reason: string): void {
  item.why = why;
  item.skipped = reason;
}

/**
 * The items worth downloading, in order (the question's `ownCount` first): the model takes
 * their kind, they are not known to be too large, and a slot is left. The rest are marked.
 */
function choose(
  items: Item[],
  ownCount: number,
  adapter: Pick<ChatAdapter, "fetchAttachment">,
  model: Pick<ModelInfo, "id" | "inputModalities">,
  limits: AttachmentLimits,
  platform: string,
): Item[] {
  const takes = {
    image: model.inputModalities.includes("image"),
    pdf: model.inputModalities.includes("file"),
  };
  let slots = limits.maxCount;
  const wanted: Item[] = [];
  items.forEach((item, i) => {
    if (item.kind === "other") {
      const what = item.label === "image" ? `not ${expected("image")}` : "not an image or PDF";
      skip(item, "rule", what);
    } else if (!takes[item.kind]) {
      const cannot = item.kind === "image" ? "cannot see images" : "does not take files";
      skip(item, "blind", `\`${model.id}\` ${cannot}`);
    } else if (item.attachment.size !== undefined && item.attachment.size > limits.maxBytes) {
      skip(item, "rule", `larger than ${formatBytes(limits.maxBytes)}`);
    } else if (slots === 0) {
      const many = `at most ${limits.maxCount} attachments go with a question`;
      skip(item, "rule", i < ownCount ? many : "only the newest attachments are sent again");
    } else if (!adapter.fetchAttachment) {
      skip(item, "rule", `files cannot be downloaded from ${platform} here`);
    } else {
      slots--;
      wanted.push(item);
    }
  });
  return wanted;
}

/** Downloads one item into its part, or marks why it has none; never throws. */
async function download(
  item: Item,
  adapter: Pick<ChatAdapter, "fetchAttachment">,
  question: Question,
  limits: AttachmentLimits,
  platform: string,
): Promise<void> {
  try {
    const file = await adapter.fetchAttachment?.(question, item.attachment);
    if (!file) skip(item, "rule", `its address is not on ${platform}'s own file host`);
    else if (file.data.byteLength > limits.maxBytes)
      skip(item, "rule", `larger than ${formatBytes(limits.maxBytes)}`);
    else {
      item.part = toPart(item, file.data);
      if (!item.part) skip(item, "rule", `what was downloaded is not ${expected(item.kind)}`);
    }
  } catch (err) {
    const reason = err instanceof Error && err.message ? err.message : "unknown error";
    skip(item, "failed", `could not be downloaded (${reason})`);
    // The name, not the URL: Discord's are signed, and a log is no place for them.
    console.warn(`attachment ${item.name} of ${question.id}: ${reason}`);
  }
}

function itemsOf(entry: HistoryEntry | undefined): Item[] {
  if (!entry || entry.fromBot) return [];
  return (entry.attachments ?? []).map((attachment, i) => {
    const type = typeOf(attachment);
    const kind: Kind = IMAGE_TYPES.has(type) ? "image" : type === PDF ? "pdf" : "other";
    const label =
      kind === "pdf" ? "PDF" : kind === "image" || type.startsWith("image/") ? "image" : "file";
    return { entry, attachment, kind, label, name: displayName(attachment, i) };
  });
}

/** The platform's type, else the one the name's extension implies ("" when neither says). */
function typeOf(a: Attachment): string {
  const declared = a.mimeType?.split(";")[0]?.trim().toLowerCase();
  if (declared && declared !== "application/octet-stream") return declared;
  const ext = a.name?.split(".").pop()?.toLowerCase() ?? "";
  return BY_EXTENSION[ext] ?? "";
}

/** A name safe inside a code span and on one line. */
function displayName(a: Attachment, index: number): string {
  const name = (a.name ?? "")
    .replace(/[`\r\n]+/g, " ")
    .trim()
    .slice(0, 100);
  return name || `attachment ${index + 1}`;
}

const expected = (kind: Kind) => (kind === "pdf" ? "a PDF" : "a PNG, JPEG, GIF or WebP image");

/** The part for what was downloaded, or undefined when its bytes are not what it claimed. */
function toPart(item: Item, data: Uint8Array): ContentPart | undefined {
  // The bytes decide the type: a host's sign-in page or a mislabelled file is not sent.
  const type = sniff(data);
  if (item.kind === "image" && type && IMAGE_TYPES.has(type))
    return { type: "image_url", image_url: { url: `data:${type};base64,${toBase64(data)}` } };
  if (item.kind === "pdf" && type === PDF) {
    const filename = /\.pdf$/i.test(item.name) ? item.name : `${item.name}.pdf`;
    return { type: "file", file: { filename, file_data: `data:${PDF};base64,${toBase64(data)}` } };
  }
  return undefined;
}

/** The type the file's first bytes announce, for the types the model may get. */
export function sniff(data: Uint8Array): string | undefined {
  const starts = (...bytes: number[]) => bytes.every((b, i) => data[i] === b);
  const ascii = (at: number, text: string) =>
    [...text].every((c, i) => data[at + i] === c.charCodeAt(0));
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (ascii(0, "GIF87a") || ascii(0, "GIF89a")) return "image/gif";
  if (ascii(0, "RIFF") && ascii(8, "WEBP")) return "image/webp";
  if (ascii(0, "%PDF-")) return PDF;
  return undefined;
}

function toBase64(data: Uint8Array): string {
  // btoa takes a binary string; building it in slices keeps the argument list short.
  let binary = "";
  for (let i = 0; i < data.length; i += 0x8000)
    binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** One sentence per reason, e.g. "2 images were not sent: `m` cannot see images." */
function notesFor(items: Item[]): string[] {
  const notes: string[] = [];
  const groups = new Map<string, Item[]>();
  for (const item of items) {
    if (!item.skipped) continue;
    const group = groups.get(item.skipped) ?? [];
    group.push(item);
    groups.set(item.skipped, group);
  }
  for (const [reason, group] of groups) {
    const many = group.length > 1;
    const why = group[0]?.why;
    if (why === "blind") {
      const what = group[0]?.kind === "image" ? "image" : "PDF";
      notes.push(`${group.length} ${what}${many ? "s were" : " was"} not sent: ${reason}.`);
    } else if (why === "failed") {
      notes.push(`${names(group)} ${reason}, so the model did not see ${many ? "them" : "it"}.`);
    } else {
      notes.push(`${names(group)} ${many ? "were" : "was"} not sent: ${reason}.`);
    }
  }
  return notes;
}

/** "`a.png`", "`a.png` and `b.png`", "`a.png`, `b.png` and `c.png`". */
function names(group: Item[]): string {
  const quoted = group.map((item) => `\`${item.name}\``);
  return quoted.length > 1
    ? `${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)}`
    : (quoted[0] ?? "");
}
