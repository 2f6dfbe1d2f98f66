import { isModelAllowed } from "../config.ts";
import { closeModelMatches } from "../openrouter/model-choice.ts";
import type { Effort, ModelCatalog, ModelInfo } from "../openrouter/types.ts";
import {
  BUDGET_OFF,
  type ChannelSettings,
  EFFORTS,
  isSettingKey,
  SETTING_KEYS,
  type SettingKey,
  type SettingsPatch,
  STREAMING_MODES,
  SYSTEM_MAX_CHARS,
} from "./settings.ts";

export interface ValidateContext {
  catalog: ModelCatalog;
  /** The channel's settings now, defaults filled in. */
  current: ChannelSettings;
  /** The model `model=default` goes back to, so the other keys can be checked against it. */
  defaultModel?: string;
  /** The operator's `ALLOWED_MODELS` (ids and `vendor/*`); empty or absent = any model. */
  allowedModels?: readonly string[];
}

export type ValidateResult = { ok: true; patch: SettingsPatch } | { ok: false; errors: string[] };

type ModelBound = "effort" | "max_tokens" | "temperature";

const CLEAR = new Set(["default", "unset"]);
const TRUE = new Set(["on", "true", "yes"]);
const FALSE = new Set(["off", "false", "no"]);

/**
 * Checks `key=value` pairs typed by a user and turns them into a settings patch (a key
 * present with `undefined` goes back to its default). Every problem is reported at once,
 * and the patch comes only when all values are valid, so nothing is half applied.
 */
export async function validateSettings(
  values: Record<string, string>,
  ctx: ValidateContext,
): Promise<ValidateResult> {
  const errors: string[] = [];
  const given: Partial<Record<SettingKey, string>> = {};
  const unknown: string[] = [];
  for (const [rawKey, value] of Object.entries(values)) {
    const key = rawKey.trim().toLowerCase().replaceAll("-", "_");
    if (isSettingKey(key)) given[key] = value.trim();
    else unknown.push(`\`${rawKey}\``);
  }
  if (unknown.length) {
    errors.push(
      `Unknown setting ${unknown.join(", ")}. Settings are: ${SETTING_KEYS.map((k) => `\`${k}\``).join(", ")}.`,
    );
  }
  const patch: SettingsPatch = {};
  checkSimpleKeys(given, patch, errors);

  const modelChanged = given.model !== undefined;
  const bound = (["effort", "max_tokens", "temperature"] as const).filter(
    (k) => given[k] !== undefined,
  );
  const recheck = modelChanged
    ? (["effort", "max_tokens", "temperature"] as const).filter((k) => ctx.current[k] !== undefined)
    : [];
  if (modelChanged || bound.some((k) => !isClear(given[k]))) {
    const target = await resolveModel(given.model, ctx, errors);
    if (modelChanged && target.ok)
      patch.model = isClear(given.model) ? undefined : target.model?.id;
    for (const key of bound) checkBound(key, given[key] as string, target.model, patch, errors);
    if (target.model) {
      for (const key of recheck.filter((k) => given[k] === undefined)) {
        const problem = unsupported(key, ctx.current[key] as Effort | number, target.model);
        if (problem) {
          errors.push(
            `${problem} Set \`${key}\` to another value or to \`default\` along with the model.`,
          );
        }
      }
    }
  } else {
    for (const key of bound) patch[key] = undefined;
  }
  return errors.length ? { ok: false, errors } : { ok: true, patch };
}

function isClear(value: string | undefined): boolean {
  return value !== undefined && CLEAR.has(value.toLowerCase());
}

function checkSimpleKeys(
  given: Partial<Record<SettingKey, string>>,
  patch: SettingsPatch,
  errors: string[],
): void {
  if (given.system !== undefined) {
    if (isClear(given.system)) patch.system = undefined;
    else if (given.system.length > SYSTEM_MAX_CHARS) {
      errors.push(
        `\`system\` is ${given.system.length} characters long; the most is ${SYSTEM_MAX_CHARS}.`,
      );
    } else patch.system = given.system;
  }
  for (const key of ["followups", "web_search"] as const) {
    const raw = given[key];
    if (raw === undefined) continue;
    const value = raw.toLowerCase();
    if (isClear(value)) patch[key] = undefined;
    else if (TRUE.has(value)) patch[key] = true;
    else if (FALSE.has(value)) patch[key] = false;
    else errors.push(`\`${key}\` must be \`on\` or \`off\`, not \`${raw}\`.`);
  }
  if (given.streaming !== undefined) {
    const value = given.streaming.toLowerCase();
    const mode = STREAMING_MODES.find((m) => m === value);
    if (isClear(value)) patch.streaming = undefined;
    else if (mode) patch.streaming = mode;
    else
      errors.push(
        `\`streaming\` must be ${STREAMING_MODES.map((m) => `\`${m}\``).join(", ")}, not \`${given.streaming}\`.`,
      );
  }
  if (given.daily_budget_usd !== undefined) {
    const value = given.daily_budget_usd.toLowerCase().replace(/^\$/, "");
    // `default` goes back to the operator's default; `off` opts out of it.
    if (isClear(value)) patch.daily_budget_usd = undefined;
    else if (value === BUDGET_OFF || value === "none") patch.daily_budget_usd = BUDGET_OFF;
    else if (/^\d+(\.\d{1,2})?$/.test(value)) patch.daily_budget_usd = Number(value);
    else {
      errors.push(
        "`daily_budget_usd` must be an amount in USD with at most two decimals (e.g. `5` or `2.50`; `0` lets nothing be spent), `off` for no cap, or `default` for the operator's default.",
      );
    }
  }
}

/** The model the bound keys are checked against: the new one, or the channel's current one. */
async function resolveModel(
  requested: string | undefined,
  ctx: ValidateContext,
  errors: string[],
): Promise<{ ok: boolean; model?: ModelInfo }> {
  const id =
    requested === undefined ? ctx.current.model : isClear(requested) ? ctx.defaultModel : requested;
  if (id === undefined) return { ok: true };
  const allowed = ctx.allowedModels ?? [];
  if (requested !== undefined && !isClear(requested) && !isModelAllowed(id, allowed)) {
    // Checked before the catalog: an id outside the list is refused whatever OpenRouter has.
    errors.push(
      `Model \`${id}\` is not allowed here. Allowed: ${allowed.map((m) => `\`${m}\``).join(", ")}.`,
    );
    return { ok: false };
  }
  let model: ModelInfo | undefined;
  try {
    model = await ctx.catalog.get(id);
  } catch (err) {
    errors.push(
      `Could not read OpenRouter's model catalog to check \`${id}\` (${(err as Error).message}). Try again in a minute.`,
    );
    return { ok: false };
  }
  if (model) return { ok: true, model };
  // Going back to the default is always allowed; there is just nothing to check against.
  if (isClear(requested)) return { ok: true };
  if (requested === undefined) {
    errors.push(
      `This channel's model \`${id}\` is no longer in OpenRouter's catalog; set \`model\` first.`,
    );
  } else {
    errors.push(
      `Model \`${id}\` is not in OpenRouter's catalog.${await suggest(ctx.catalog, id, allowed)}`,
    );
  }
  return { ok: false };
}

async function suggest(
  catalog: ModelCatalog,
  id: string,
  allowed: readonly string[],
): Promise<string> {
  const found = new Set<string>();
  // Typos first (`claude-sonet-4.5`), then searches on the name and its first word.
  try {
    for (const close of await closeModelMatches(catalog, id, 6))
      if (found.size < 3 && isModelAllowed(close, allowed)) found.add(close);
  } catch {
    // The searches below say what they can.
  }
  const tail = id.slice(id.lastIndexOf("/") + 1);
  for (const query of [id, tail, tail.split(/[-:.]/)[0] ?? ""]) {
    if (found.size >= 3 || query.length < 2) continue;
    try {
      // Only models the operator allows are worth suggesting.
      for (const model of await catalog.search(query, 10))
        if (found.size < 3 && isModelAllowed(model.id, allowed)) found.add(model.id);
    } catch {
      break;
    }
  }
  if (!found.size) return " See https://openrouter.ai/models for the ids.";
  return ` Did you mean ${[...found].map((m) => `\`${m}\``).join(", ")}?`;
}

function checkBound(
  key: ModelBound,
  raw: string,
  model: ModelInfo | undefined,
  patch: SettingsPatch,
  errors: string[],
): void {
  if (isClear(raw)) {
    patch[key] = undefined;
    return;
  }
  const parsed = parseBound(key, raw);
  if ("error" in parsed) {
    errors.push(parsed.error);
    return;
  }
  // Without a known model only the format can be checked; the model's own error is already listed.
  const problem = model ? unsupported(key, parsed.value, model) : undefined;
  if (problem) errors.push(problem);
  else Object.assign(patch, { [key]: parsed.value });
}

/** The typed value, or what is wrong with it. */
function parseBound(key: ModelBound, raw: string): { value: Effort | number } | { error: string } {
  if (key === "effort") {
    const effort = EFFORTS.find((e) => e === raw.toLowerCase());
    if (effort) return { value: effort };
    return {
      error: `\`effort\` must be one of ${EFFORTS.map((e) => `\`${e}\``).join(", ")}, not \`${raw}\`.`,
    };
  }
  if (key === "max_tokens") {
    const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (Number.isSafeInteger(n) && n > 0) return { value: n };
    return { error: `\`max_tokens\` must be a whole number above 0, not \`${raw}\`.` };
  }
  const t = /^(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
  if (t >= 0 && t <= 2) return { value: t };
  return { error: `\`temperature\` must be a number from 0 to 2, not \`${raw}\`.` };
}

/** Why `model` cannot take this value, or undefined when it can. */
function unsupported(
  key: ModelBound,
  value: Effort | number,
  model: ModelInfo,
): string | undefined {
  if (key === "effort") {
    const efforts = effortsOf(model);
    if (typeof value === "string" && efforts.includes(value)) return undefined;
    if (!efforts.length)
      return `\`${model.id}\` takes no reasoning effort, so \`effort\` must stay unset.`;
    return `\`${model.id}\` does not support effort \`${value}\`; it supports ${efforts.map((e) => `\`${e}\``).join(", ")}.`;
  }
  if (key === "max_tokens") {
    const most = model.maxCompletionTokens ?? model.contextLength;
    return (value as number) <= most
      ? undefined
      : `\`max_tokens\` can be at most ${most} for \`${model.id}\`.`;
  }
  return takesTemperature(model)
    ? undefined
    : `\`${model.id}\` does not take a temperature, so \`temperature\` must stay unset.`;
}

// OpenRouter's catalog lists `temperature` for deep-research models, which reject it (PLATFORM-FACTS).
function takesTemperature(model: ModelInfo): boolean {
  return model.supportedParameters.includes("temperature") && !isDeepResearch(model);
}

function effortsOf(model: ModelInfo): Effort[] {
  if (model.supportedEfforts?.length) return model.supportedEfforts;
  if (!model.supportedParameters.includes("reasoning")) return [];
  // Deep-research models accept only `medium` even when the catalog does not say so.
  return isDeepResearch(model) ? ["medium"] : [...EFFORTS];
}

function isDeepResearch(model: ModelInfo): boolean {
  return model.id.includes("deep-research");
}
