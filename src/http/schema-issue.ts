import type * as z from "zod/mini";

/**
 * One line saying why input failed a schema, for the 400 a malformed request gets.
 * `zod/mini` ships no locale (its messages all read "Invalid input"), and loading one
 * would bring back part of the size it saves, so the few issue kinds our schemas raise
 * are described here.
 */
export function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return "invalid";
  const where = issue.path.length ? ` at ${issue.path.join(".")}` : "";
  return `${what(issue)}${where}`;
}

function what(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `expected ${issue.expected}`;
    case "too_small":
      return `${sized(issue.origin)} must be ${issue.inclusive ? ">=" : ">"} ${issue.minimum}`;
    case "too_big":
      return `${sized(issue.origin)} must be ${issue.inclusive ? "<=" : "<"} ${issue.maximum}`;
    case "invalid_format":
      return `not a valid ${issue.format}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return issue.code;
  }
}

/** Strings and arrays are bounded by their length, numbers by their value. */
function sized(origin: string): string {
  return origin === "string" || origin === "array" ? `${origin} length` : origin;
}
