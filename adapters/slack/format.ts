/**
 * Text going to and coming from Slack.
 *
 * Outgoing answers are posted as a `markdown` block, which takes standard markdown and
 * translates it for Slack (https://docs.slack.dev/reference/block-kit/blocks/markdown-block),
 * so rendering is mostly neutralising mentions. Slack does not document how that block
 * treats its `<!here>` / `<@U…>` syntax, so we assume the worst: every special, user and
 * group mention becomes plain text with a zero-width space after the `@`, which reads the
 * same and pings nobody. Channel links (`<#C…>`) notify nobody, but become plain `#name`
 * text too, so they render the same whether or not the block parses angle brackets.
 */

import { GrowingText, type Tailed, TailReader } from "../../src/chat/growing-text.ts";
import { withoutFenceLines } from "../../src/chat/markdown.ts";

const ZWSP = "\u200B";
/** `<!here>`, `<!channel|channel>`, `<!subteam^S1|@eng>`, `<!date^…|fallback>`; also entity-encoded. */
const SPECIAL_MENTION = /(?:<|&lt;)!([^>\n]*?)(?:>|&gt;)/gi;
/** `<@U123>`, `<@W123|name>`; also entity-encoded. Not one already made inert (`<@​…>`), so neutralising is idempotent. */
const USER_MENTION = /(?:<|&lt;)@(?!\u200b)([^>|\n]*?)(?:\|([^>\n]*?))?(?:>|&gt;)/gi;
const CHANNEL_LINK = /<#([A-Z0-9]+)(?:\|([^>\n]*))?>/gi;
/**
 * Typed `@here` and friends: Slack can turn them into pings (`link_names`). Not inside
 * words, so e-mail addresses survive; after another `@` too (`@@here`), assuming the worst.
 */
const BARE_MASS_MENTION = /(^|[^\w])@(here|channel|everyone|group)\b/gi;

/** The words a `<!…>` special mention shows, without its leading `@`. */
function specialMentionLabel(inner: string): string | { fallback: string } {
  const [head = "", label] = splitOnce(inner, "|");
  if (head.startsWith("date^")) return { fallback: label ?? "" };
  if (label) return label.replace(/^@/, "");
  if (head.startsWith("subteam^")) return head.slice("subteam^".length);
  return head.trim();
}

function splitOnce(text: string, sep: string): [string, string?] {
  const at = text.indexOf(sep);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}

/** Makes every `@channel`, `@here`, `@everyone`, group and user mention inert; idempotent. */
export function neutralizeSlackMentions(text: string): string {
  return text
    .replace(SPECIAL_MENTION, (_, inner: string) => {
      const label = specialMentionLabel(inner);
      return typeof label === "string" ? `@${ZWSP}${label}` : label.fallback;
    })
    .replace(USER_MENTION, (_, id: string, name?: string) => `@${ZWSP}${name || id}`)
    .replace(CHANNEL_LINK, (_, id: string, name?: string) => `#${name || id}`)
    .replace(BARE_MASS_MENTION, (_, before: string, word: string) => `${before}@${ZWSP}${word}`);
}

/** The model's markdown as the text of a Slack `markdown` block. */
export function renderSlack(markdown: string): string {
  return neutralizeSlackMentions(markdown);
}

/**
 * `renderSlack` for one growing answer, called at every edit: no rewrite reaches across a
 * line break, so complete lines are rendered once and kept, and each call renders only
 * the last line. A text that does not extend the last one starts over. Returns exactly
 * what `renderSlack` returns.
 */
export function slackRenderer(): (markdown: string) => string {
  let done = "";
  let rendered = "";
  return (markdown) => {
    if (markdown.length < done.length || markdown.slice(0, done.length) !== done) {
      done = "";
      rendered = "";
    }
    const settled = markdown.lastIndexOf("\n") + 1;
    if (settled > done.length) {
      rendered += renderSlack(markdown.slice(done.length, settled));
      done = markdown.slice(0, settled);
    }
    return rendered + renderSlack(markdown.slice(settled));
  };
}

/**
 * `slackRenderer` for an answer handed on as a `Tailed` text: complete lines are rendered
 * once into the settled part it returns; only the text after them is read at each call.
 */
export function growingSlackRenderer(): (markdown: Tailed) => Tailed {
  const input = new TailReader();
  let rendered = new GrowingText();
  let done = 0;
  return (markdown) => {
    const read = input.read(markdown);
    if (!read.grew) {
      rendered = new GrowingText();
      done = 0;
    }
    const { base, text } = read;
    const settled = base + text.lastIndexOf("\n") + 1;
    if (settled > done) {
      rendered.append(renderSlack(text.slice(done - base, settled - base)));
      done = settled;
    }
    input.keep(markdown, base, text, done);
    return { settled: rendered, tail: renderSlack(text.slice(done - base)) };
  };
}

/**
 * A one-line plain version of an answer for the message's `text` field, which Slack shows
 * in notifications and where blocks cannot render. `max` counts characters before the
 * mrkdwn escaping of `&`, `<`, `>` (that escaping also keeps it from forming mentions).
 */
export function toPlainFallback(markdown: string, max = 200): string {
  const stripped = neutralizeSlackMentions(withoutFenceLines(markdown))
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
    .replace(/^\s{0,3}(?:#{1,6}|>)\s*/gm, "")
    .replace(/(\*\*|__|~~|`)/g, "")
    .replace(/\s+/g, " ")
    .trim();
  // Again: taking the markup out joins what it kept apart (`@**here**` is `@here` now).
  const plain = neutralizeSlackMentions(stripped);
  // No more UTF-16 units than `max` means no more characters either.
  const short = plain.length > max ? shortened(plain, max) : plain;
  // And once more where a cut made one (`@hereabouts` cut to `@here…`).
  return neutralizeSlackMentions(short)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/**
 * `text` cut to `max - 1` characters (code points, as `Array.from` counts them) and an
 * ellipsis when it has more than `max`; walks only as far as the cut, not the whole text.
 */
function shortened(text: string, max: number): string {
  const limit = Math.max(0, max - 1);
  let keep = 0;
  let at = 0;
  for (let chars = 0; at < text.length; chars++) {
    if (chars === limit) keep = at;
    if (chars === max) return `${text.slice(0, keep).trimEnd()}…`;
    const pair = isHigh(text.charCodeAt(at)) && isLow(text.charCodeAt(at + 1));
    at += pair ? 2 : 1;
  }
  return text;
}

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;

export type NameLookup = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

function lookup(names: NameLookup | undefined, id: string): string | undefined {
  if (!names) return undefined;
  return names instanceof Map ? names.get(id) : (names as Record<string, string>)[id];
}

/**
 * Incoming Slack mrkdwn as plain text for the model: `<@U1>` → `@name` (from `names`),
 * `<#C1|general>` → `#general`, `<https://x|label>` → `label (https://x)`, entities decoded.
 */
export function slackTextToPlain(text: string, names?: NameLookup): string {
  return text
    .replace(/<([^>\n]+)>/g, (whole, inner: string) => {
      const [target = "", label] = splitOnce(inner, "|");
      if (target.startsWith("@"))
        return `@${label || lookup(names, target.slice(1)) || target.slice(1)}`;
      if (target.startsWith("#")) return `#${label || target.slice(1)}`;
      if (target.startsWith("!")) {
        const special = specialMentionLabel(inner.slice(1));
        return typeof special === "string" ? `@${special}` : special.fallback;
      }
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) return whole;
      if (!label || label === target) return target;
      if (target.toLowerCase().startsWith("mailto:")) return label;
      // Slack labels auto-linked URLs with the URL minus its scheme: no need to repeat it.
      return label === target.replace(/^https?:\/\//i, "") ? target : `${label} (${target})`;
    })
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

type Loose = Record<string, unknown>;
const isObj = (v: unknown): v is Loose => typeof v === "object" && v !== null;
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** One inline element of a `rich_text` block (text, link, user, emoji, …) as plain text. */
function inlineText(el: unknown, names?: NameLookup): string {
  if (!isObj(el)) return "";
  switch (el.type) {
    case "text":
      return isObj(el.style) && el.style.code ? `\`${str(el.text)}\`` : str(el.text);
    case "link":
      return el.text ? `${str(el.text)} (${str(el.url)})` : str(el.url);
    case "user":
      return `@${lookup(names, str(el.user_id)) ?? str(el.user_id)}`;
    case "channel":
      return `#${str(el.channel_id)}`;
    case "usergroup":
      return `@${str(el.usergroup_id)}`;
    case "broadcast":
      return `@${str(el.range)}`;
    case "emoji":
      return str(el.unicode)
        ? String.fromCodePoint(
            ...str(el.unicode)
              .split("-")
              .map((h) => Number.parseInt(h, 16)),
          )
        : `:${str(el.name)}:`;
    case "date":
      return str(el.fallback);
    default:
      return str(el.text);
  }
}

function richTextElement(el: unknown, names?: NameLookup): string {
  if (!isObj(el)) return "";
  const inline = () =>
    list(el.elements)
      .map((e) => inlineText(e, names))
      .join("");
  switch (el.type) {
    case "rich_text_list": {
      const pad = "  ".repeat(Number(el.indent) || 0);
      return list(el.elements)
        .map(
          (item, i) =>
            `${pad}${el.style === "ordered" ? `${i + 1}.` : "-"} ${richTextElement(item, names)}`,
        )
        .join("\n");
    }
    case "rich_text_preformatted":
      return `\`\`\`\n${inline()}\n\`\`\``;
    case "rich_text_quote":
      return inline()
        .split("\n")
        .map((line) => `> ${line}`)
        .join("\n");
    default:
      return inline();
  }
}

/** The readable text of a message's blocks (what Slack made of our `markdown` block), or "". */
export function slackBlocksToPlain(blocks: unknown, names?: NameLookup): string {
  const parts = list(blocks).map((block) => {
    if (!isObj(block)) return "";
    if (block.type === "markdown") return str(block.text);
    if (block.type === "rich_text")
      return list(block.elements)
        .map((el) => richTextElement(el, names))
        .join("\n");
    if (isObj(block.text)) return str(block.text.text);
    return "";
  });
  return parts.filter((p) => p !== "").join("\n\n");
}
