/**
 * Text that only ever grows, kept as the pieces appended to it. A long answer grows by a
 * token at a time and each stage of delivery needs only its end: reading the end of a
 * piece list costs the end, where slicing a string built by `+=` copies all of it (V8
 * flattens the concatenation first). Being append-only is what lets a stage that saw this
 * object before know, without comparing, that the text it read is still there.
 */
export class GrowingText {
  private readonly parts: string[] = [];
  /** Where each part ends. */
  private readonly ends: number[] = [];
  private joined = "";
  /** Parts already in `joined`. */
  private joinedParts = 0;
  private newline = -1;
  private cr = false;
  private visible = false;
  length = 0;

  constructor(text = "") {
    if (text) this.append(text);
  }

  append(piece: string): void {
    if (!piece) return;
    const nl = piece.lastIndexOf("\n");
    if (nl >= 0) this.newline = this.length + nl;
    if (!this.cr && piece.includes("\r")) this.cr = true;
    if (!this.visible && piece.trim()) this.visible = true;
    this.parts.push(piece);
    this.length += piece.length;
    this.ends.push(this.length);
  }

  /** Where the last line starts. */
  get lastLineStart(): number {
    return this.newline + 1;
  }

  /** The text is all white space (`trim()` leaves nothing). */
  get blank(): boolean {
    return !this.visible;
  }

  /** The text holds a carriage return somewhere. */
  get hasCR(): boolean {
    return this.cr;
  }

  /** The text from `start` to the end, in the cost of that end. */
  from(start: number): string {
    if (start <= 0) return this.toString();
    if (start >= this.length) return "";
    const { ends, parts } = this;
    // The first part that ends after `start`.
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((ends[mid] as number) > start) hi = mid;
      else lo = mid + 1;
    }
    const first = parts[lo] as string;
    const skip = start - ((ends[lo] as number) - first.length);
    let out = first.slice(skip);
    for (let i = lo + 1; i < parts.length; i++) out += parts[i];
    return out;
  }

  toString(): string {
    const { parts } = this;
    if (this.joinedParts < parts.length) {
      let s = this.joined;
      for (let i = this.joinedParts; i < parts.length; i++) s += parts[i];
      this.joined = s;
      this.joinedParts = parts.length;
    }
    return this.joined;
  }
}

/**
 * A growing text as a stage hands it on: `settled`, which only grows, then a `tail` that
 * may change from one call to the next. The whole text is `settled + tail`.
 */
export interface Tailed {
  settled: GrowingText;
  tail: string;
}

/** The whole text of `t`. */
export function whole(t: Tailed): string {
  return t.settled.toString() + t.tail;
}

/**
 * What a stage needs of a `Tailed` input from one call to the next: the input from its
 * resume point on, and whether the input extends the one it had (proven by the settled
 * part being the same append-only object, plus a comparison of the short part after it).
 */
export class TailReader {
  private settled?: GrowingText;
  private settledLength = 0;
  /** The last input from `base` on. */
  private base = 0;
  private window = "";

  /**
   * The input from `base` on; `grew` when it extends the last input (so everything before
   * `base` is as it was), else `base` is 0 and `text` is the whole input.
   */
  read(input: Tailed): { base: number; text: string; grew: boolean } {
    const { settled, tail } = input;
    const { base } = this;
    if (
      settled === this.settled &&
      settled.length >= this.settledLength &&
      base <= this.settledLength
    ) {
      const text = settled.from(base) + tail;
      // What was settled is still there (append-only): only what followed it may differ.
      const same = this.settledLength - base;
      if (
        text.length >= this.window.length &&
        text.startsWith(same > 0 ? this.window.slice(same) : this.window, Math.max(0, same))
      )
        return { base, text, grew: true };
    }
    this.settled = settled;
    this.settledLength = settled.length;
    return { base: 0, text: whole(input), grew: false };
  }

  /** The next `read` starts over. */
  reset(): void {
    this.settled = undefined;
    this.window = "";
    this.base = 0;
  }

  /**
   * Keeps the input `read` gave (`text`, from `base`) from `from` on for the next call, or
   * as little after it as the settled part allows; `from` is the stage's resume point.
   */
  keep(input: Tailed, base: number, text: string, from: number): void {
    const at = Math.max(base, Math.min(from, input.settled.length));
    this.settled = input.settled;
    this.settledLength = input.settled.length;
    this.base = at;
    this.window = text.slice(at - base);
  }
}
