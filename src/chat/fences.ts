/**
 * The opening line of a code fence left open at the end of `text` (```` ```ts ````),
 * or undefined when every fence is closed. Used where text is cut at a line boundary
 * and each piece must render on its own.
 */
export function openFenceAt(text: string): string | undefined {
  let open: { marker: string; line: string } | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trimStart();
    const match = /^(`{3,}|~{3,})/.exec(line);
    if (!match?.[1]) continue;
    const marker = match[1];
    if (!open) open = { marker, line: raw.trim() };
    else if (
      marker[0] === open.marker[0] &&
      marker.length >= open.marker.length &&
      line.trim() === marker
    )
      open = undefined;
  }
  return open?.line;
}

/** The line that closes the fence opened by `openLine`. */
export function closingFence(openLine: string): string {
  const match = /^(`{3,}|~{3,})/.exec(openLine);
  return match?.[1] ?? "```";
}
