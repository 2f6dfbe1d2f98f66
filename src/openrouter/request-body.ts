import { isDeepResearchModel, onlyMediumEffort, searchesOnItsOwn } from "./model-rules.ts";
import type { ChatRequest, ModelInfo } from "./types.ts";

/** OpenRouter refuses more: "'models' array must have 3 items or fewer" (400). */
const MAX_MODELS = 3;

/**
 * The JSON body for `POST /chat/completions`, with only the parameters the model takes.
 * `model` is the catalog entry of `req.model`; parameters are chosen for it and apply to every
 * model in the `models` array too (OpenRouter sends one body to whichever model answers).
 */
export function chatRequestBody(
  req: ChatRequest,
  model: ModelInfo | undefined,
): Record<string, unknown> {
  const lists = (param: string) => model?.supportedParameters.includes(param) ?? false;
  const deepResearch = isDeepResearchModel(req.model);
  const body: Record<string, unknown> = {
    model: req.model,
    messages: req.messages,
    stream: true,
    // Deprecated upstream (usage now always arrives) but harmless, and older deployments need it.
    usage: { include: true },
  };
  if (req.user) body.user = req.user;
  if (req.maxTokens !== undefined && (!model || lists("max_tokens"))) {
    body.max_tokens = Math.min(
      req.maxTokens,
      model?.maxCompletionTokens ?? Number.POSITIVE_INFINITY,
    );
  }
  // `supported_parameters` overstates: deep-research models list temperature but reject it.
  if (req.temperature !== undefined && lists("temperature") && !deepResearch) {
    body.temperature = req.temperature;
  }
  if (req.effort && acceptsEffort(req, model, lists("reasoning"))) {
    body.reasoning = { effort: req.effort };
  }
  if (req.webSearch && !searchesOnItsOwn(req.model)) {
    // Server tool: https://openrouter.ai/docs/guides/features/server-tools/web-search
    // (`tools: [{ type: "openrouter:web_search" }]`, the model decides when to search).
    // Plugin: https://openrouter.ai/docs/guides/features/plugins/web-search
    // (`plugins: [{ id: "web" }]`, one search per request, works with any model).
    if (lists("tools")) body.tools = [{ type: "openrouter:web_search" }];
    else body.plugins = [{ id: "web" }];
  }
  const models = fallbackModels(req, body.tools !== undefined);
  if (models.length > 1) body.models = models;
  return body;
}

function acceptsEffort(req: ChatRequest, model: ModelInfo | undefined, listed: boolean): boolean {
  if (!listed || !req.effort) return false;
  if (onlyMediumEffort(req.model)) return req.effort === "medium";
  if (model?.supportedEfforts) return model.supportedEfforts.includes(req.effort);
  // Deep research from other vendors without a listed effort range: medium is the safe one.
  return !isDeepResearchModel(req.model) || req.effort === "medium";
}

/**
 * The primary first, then distinct fallbacks, capped at OpenRouter's limit
 * (https://openrouter.ai/docs/guides/routing/model-fallbacks). With `tools` in the body,
 * deep-research fallbacks are left out: they reject tools, so that attempt could only fail.
 */
function fallbackModels(req: ChatRequest, sendsTools: boolean): string[] {
  const models = [req.model];
  for (const id of req.fallbacks ?? []) {
    const trimmed = id.trim();
    if (!trimmed || models.includes(trimmed)) continue;
    if (sendsTools && isDeepResearchModel(trimmed)) continue;
    models.push(trimmed);
  }
  return models.slice(0, MAX_MODELS);
}
