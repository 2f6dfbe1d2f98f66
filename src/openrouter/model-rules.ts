/**
 * What the catalog does not say about a model, from its id. `supported_parameters` overstates
 * for some models (deep research lists temperature but rejects it), so these rules win.
 */

/** OpenAI's and Perplexity's deep-research models: they search the web on every request. */
export function isDeepResearchModel(id: string): boolean {
  return /deep-research/i.test(id);
}

/**
 * Models that search the web by themselves: deep research, Perplexity's Sonar family, OpenAI's
 * `*-search-preview` and any `:online` variant. Adding OpenRouter's web search to them would
 * pay for a second search of the same question.
 */
export function searchesOnItsOwn(id: string): boolean {
  return (
    isDeepResearchModel(id) ||
    /^perplexity\//i.test(id) ||
    /-search-preview\b/i.test(id) ||
    /:online$/i.test(id)
  );
}

/** OpenAI's deep research accepts only `medium` effort, whatever the catalog lists (400 otherwise). */
export function onlyMediumEffort(id: string): boolean {
  return /^openai\/.*deep-research/i.test(id);
}

/**
 * Whether the model a chunk names is the one asked for. Providers report dated snapshots
 * (`google/gemini-3.1-pro-preview-20260219`, `openai/o4-mini-deep-research-2025-06-26`) and
 * OpenRouter keeps `:variant` suffixes off some responses, so those count as the same model.
 */
export function isSameModel(requested: string, answered: string): boolean {
  const base = (id: string) =>
    id
      .trim()
      .toLowerCase()
      .replace(/:[a-z0-9-]+$/, "")
      .replace(/-(\d{8}|\d{4}-\d{2}-\d{2})$/, "");
  return base(requested) === base(answered);
}

/**
 * Whether aborting the request stops billing: OpenRouter documents it for OpenAI and Anthropic
 * models; Perplexity keeps researching (and billing) after an abort. Undefined: not known.
 */
export function abortStopsBilling(id: string): boolean | undefined {
  if (/^(openai|anthropic)\//i.test(id)) return true;
  if (/^perplexity\//i.test(id)) return false;
  return undefined;
}
