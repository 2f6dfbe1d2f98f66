/** The fake OpenRouter's model catalog, in the shape `GET /models` really returns. */

/** Catalog entries in the shape `GET /models` really returns. */
export function defaultCatalog(): Record<string, unknown>[] {
  return [
    catalogEntry("openai/o4-mini-deep-research", "OpenAI: o4 Mini Deep Research", {
      context: 200_000,
      maxCompletion: 100_000,
      prompt: "0.000002",
      completion: "0.000008",
      webSearch: "0.01",
      // The real catalog lists temperature here although the model rejects it.
      params: [
        "max_tokens",
        "reasoning",
        "include_reasoning",
        "temperature",
        "response_format",
        "seed",
      ],
      efforts: ["medium"],
      input: ["text", "image", "file"],
    }),
    catalogEntry("openai/o4-mini", "OpenAI: o4 Mini", {
      context: 200_000,
      maxCompletion: 100_000,
      prompt: "0.0000011",
      completion: "0.0000044",
      params: ["max_tokens", "reasoning", "include_reasoning", "tools", "tool_choice", "seed"],
      efforts: ["low", "medium", "high"],
      input: ["text", "image"],
    }),
    catalogEntry("anthropic/claude-sonnet-4.5", "Anthropic: Claude Sonnet 4.5", {
      context: 1_000_000,
      maxCompletion: 64_000,
      prompt: "0.000003",
      completion: "0.000015",
      params: ["max_tokens", "temperature", "top_p", "top_k", "stop", "tools", "tool_choice"],
      input: ["text", "image"],
    }),
    catalogEntry("tiny/model", "Tiny Model", {
      context: 1_000,
      maxCompletion: 256,
      prompt: "0.0000001",
      completion: "0.0000002",
      params: ["max_tokens", "temperature"],
      input: ["text"],
    }),
  ];
}

/** A cheap text-only model that takes only `max_tokens`, to fill a catalog. */
export function textModelEntry(id: string, name: string): Record<string, unknown> {
  return catalogEntry(id, name, {
    context: 8000,
    maxCompletion: 1000,
    prompt: "0.000001",
    completion: "0.000002",
    params: ["max_tokens"],
    input: ["text"],
  });
}

/** One catalog entry in the real `GET /models` shape. */
export function catalogEntry(
  id: string,
  name: string,
  m: {
    context: number;
    maxCompletion: number;
    prompt: string;
    completion: string;
    webSearch?: string;
    params: string[];
    efforts?: string[];
    input: string[];
  },
): Record<string, unknown> {
  return {
    id,
    canonical_slug: id,
    name,
    created: 1_750_000_000,
    description: `${name} (fake catalog entry)`,
    context_length: m.context,
    architecture: {
      modality: `${m.input.join("+")}->text`,
      input_modalities: m.input,
      output_modalities: ["text"],
      tokenizer: "Other",
      instruct_type: null,
    },
    pricing: {
      prompt: m.prompt,
      completion: m.completion,
      request: "0",
      image: "0",
      ...(m.webSearch ? { web_search: m.webSearch } : {}),
      internal_reasoning: "0",
    },
    top_provider: {
      context_length: m.context,
      max_completion_tokens: m.maxCompletion,
      is_moderated: true,
    },
    per_request_limits: null,
    supported_parameters: m.params,
    ...(m.efforts ? { reasoning: { supported_efforts: m.efforts } } : {}),
  };
}

/**
 * The deep-research models OpenRouter lists besides OpenAI's, for fallback tests:
 * Perplexity's, which take `reasoning` (low–high) but neither tools nor temperature here.
 */
export function fallbackCatalog(): Record<string, unknown>[] {
  const perplexity = (id: string, name: string, params: string[]) =>
    catalogEntry(id, name, {
      context: 128_000,
      maxCompletion: 32_000,
      prompt: "0.000002",
      completion: "0.000008",
      webSearch: "0.005",
      params,
      efforts: ["low", "medium", "high"],
      input: ["text"],
    });
  return [
    perplexity("perplexity/sonar-deep-research", "Perplexity: Sonar Deep Research", [
      "max_tokens",
      "reasoning",
      "include_reasoning",
    ]),
    perplexity("perplexity/sonar-reasoning-pro", "Perplexity: Sonar Reasoning Pro", [
      "max_tokens",
      "reasoning",
      "temperature",
    ]),
  ];
}
