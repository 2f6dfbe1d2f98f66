/**
 * Generated growing answers for the tests that hold an incremental stage to its whole-text
 * function: a text that grows by pieces and is now and then cut back (a held-back tail that
 * shows later, or an answer started over).
 */
import fc from "fast-check";

/** Steps: pieces appended, or a fraction to cut the text back to. */
export type GrowthStep = string[] | number;

/** Steps drawn from `pieces`: up to `perStep` pieces at a time, at most `steps` steps. */
export function growth(
  pieces: readonly string[],
  opts: { perStep: number; steps: number },
): fc.Arbitrary<GrowthStep[]> {
  return fc.array(
    fc.oneof(
      {
        weight: 19,
        arbitrary: fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: opts.perStep }),
      },
      { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
    ),
    { minLength: 1, maxLength: opts.steps },
  );
}

/** Every text along the way. */
export function texts(steps: GrowthStep[]): string[] {
  let text = "";
  return steps.map((step) => {
    text =
      typeof step === "number"
        ? text.slice(0, Math.floor(step * text.length))
        : text + step.join("");
    return text;
  });
}
