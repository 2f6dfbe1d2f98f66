import type * as v from "valibot";

/**
 * One line saying why input failed a schema, for the 400 a malformed request gets: what
 * was expected, and where. Built from the issue's fields rather than its message, which
 * quotes the input back (a request's content has no place in an error body or a log).
 */
export function describeIssue(issue: v.BaseIssue<unknown> | undefined): string {
  if (!issue) return "invalid";
  // A schema expects a type ("string"), a check names itself ("min_length", ">=1").
  const check = issue.kind === "schema" ? "" : `${issue.type.replace(/_/g, " ")} `;
  const what = `expected ${check}${issue.expected ?? ""}`.trimEnd();
  const path = issue.path?.map((item) => String(item.key)).join(".");
  return path ? `${what} at ${path}` : what;
}
