import { describe, expect, it } from "vitest";
import {
  DEFAULT_FALLBACK_MODELS,
  type Env,
  isModelAllowed,
  openRouterConfig,
  operatorConfig,
} from "../src/config.ts";
import { ConfigError } from "../src/errors.ts";

/** An Env with only vars: the operator config reads nothing else. */
const vars = (over: Partial<Env>): Env => over as Env;

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("no ConfigError thrown");
}

describe("operatorConfig", () => {
  it("defaults to any model, Quarry's fallbacks, no budget, and DMs changed by their user", () => {
    expect(operatorConfig(vars({}))).toEqual({
      allowedModels: [],
      fallbackModels: [...DEFAULT_FALLBACK_MODELS],
      defaultDailyBudgetUsd: undefined,
      dmSettings: "user",
    });
    // wrangler.toml declares the vars empty: the same as unset.
    const empty = {
      ALLOWED_MODELS: "",
      FALLBACK_MODELS: "",
      DEFAULT_DAILY_BUDGET_USD: "",
      DM_SETTINGS: "",
    };
    expect(operatorConfig(vars(empty))).toEqual(operatorConfig(vars({})));
  });

  it("reads comma-separated model lists, trimming, lowercasing and dropping repeats", () => {
    const config = operatorConfig(
      vars({
        ALLOWED_MODELS: " OpenAI/o4-mini-deep-research, anthropic/* ,,openai/o4-mini-deep-research",
        FALLBACK_MODELS: "anthropic/claude-opus-4, openai/o4-mini-deep-research",
      }),
    );
    expect(config.allowedModels).toEqual(["openai/o4-mini-deep-research", "anthropic/*"]);
    expect(config.fallbackModels).toEqual([
      "anthropic/claude-opus-4",
      "openai/o4-mini-deep-research",
    ]);
  });

  it("takes the default fallbacks as a parameter, and keeps only those the allow-list allows", () => {
    const env = vars({ ALLOWED_MODELS: "openai/*" });
    expect(
      operatorConfig(env, ["perplexity/sonar-deep-research", "openai/o3-deep-research"])
        .fallbackModels,
    ).toEqual(["openai/o3-deep-research"]);
    expect(operatorConfig(vars({ FALLBACK_MODELS: "none" })).fallbackModels).toEqual([]);
  });

  it("reads the default budget in USD, where 0 means nothing may be spent", () => {
    expect(operatorConfig(vars({ DEFAULT_DAILY_BUDGET_USD: "2.50" })).defaultDailyBudgetUsd).toBe(
      2.5,
    );
    expect(operatorConfig(vars({ DEFAULT_DAILY_BUDGET_USD: "$5" })).defaultDailyBudgetUsd).toBe(5);
    expect(operatorConfig(vars({ DEFAULT_DAILY_BUDGET_USD: "0" })).defaultDailyBudgetUsd).toBe(0);
    expect(
      operatorConfig(vars({ DEFAULT_DAILY_BUDGET_USD: "off" })).defaultDailyBudgetUsd,
    ).toBeUndefined();
  });

  it("reads the DM policy case-insensitively", () => {
    expect(operatorConfig(vars({ DM_SETTINGS: "Admins" })).dmSettings).toBe("admins");
    expect(operatorConfig(vars({ DM_SETTINGS: "nobody" })).dmSettings).toBe("nobody");
  });

  it("names the variable and what is allowed when a value is malformed", () => {
    const cases: [Partial<Env>, string, RegExp][] = [
      [
        { ALLOWED_MODELS: "openai/o4-mini, gpt 4" },
        "ALLOWED_MODELS",
        /"gpt 4".*model id.*"openai\/\*"/,
      ],
      [
        { FALLBACK_MODELS: "openai/*" },
        "FALLBACK_MODELS",
        /"openai\/\*", which is not an OpenRouter model id/,
      ],
      [
        { DEFAULT_DAILY_BUDGET_USD: "-1" },
        "DEFAULT_DAILY_BUDGET_USD",
        /at most two decimals.*not "-1"/,
      ],
      [{ DEFAULT_DAILY_BUDGET_USD: "1.005" }, "DEFAULT_DAILY_BUDGET_USD", /not "1\.005"/],
      [{ DM_SETTINGS: "owner" }, "DM_SETTINGS", /"user", "admins", "nobody" or empty, not "owner"/],
    ];
    for (const [env, name, why] of cases) {
      const err = configError(() => operatorConfig(vars(env)));
      expect(err.message.startsWith(`${name} `)).toBe(true);
      expect(err.message).toMatch(why);
    }
  });

  it("refuses an allow-list without DEFAULT_MODEL, and fallbacks outside the allow-list", () => {
    expect(
      configError(() => operatorConfig(vars({ ALLOWED_MODELS: "anthropic/*" }))).message,
    ).toMatch(/^ALLOWED_MODELS does not allow DEFAULT_MODEL "openai\/o4-mini-deep-research"/);
    expect(
      operatorConfig(
        vars({ ALLOWED_MODELS: "anthropic/*", DEFAULT_MODEL: "anthropic/claude-opus-4" }),
      ).allowedModels,
    ).toEqual(["anthropic/*"]);
    expect(
      configError(() =>
        operatorConfig(
          vars({ ALLOWED_MODELS: "openai/*", FALLBACK_MODELS: "perplexity/sonar-deep-research" }),
        ),
      ).message,
    ).toMatch(
      /^FALLBACK_MODELS names "perplexity\/sonar-deep-research", which ALLOWED_MODELS does not allow/,
    );
  });

  it("is checked with the OpenRouter config, so a bad var fails answers and /health by name", () => {
    const env = vars({ OPENROUTER_API_KEY: "sk-or-x", DM_SETTINGS: "everyone" });
    expect(configError(() => openRouterConfig(env)).message).toMatch(/^DM_SETTINGS /);
    const ok = openRouterConfig(
      vars({ OPENROUTER_API_KEY: "sk-or-x", ALLOWED_MODELS: "openai/*" }),
    );
    expect(ok).toMatchObject({ allowedModels: ["openai/*"], fallbackModels: [] });
  });
});

describe("isModelAllowed", () => {
  it("allows everything with an empty list, exact ids and vendor patterns otherwise", () => {
    expect(isModelAllowed("anything/at-all", [])).toBe(true);
    const list = ["openai/o4-mini", "perplexity/*"];
    expect(isModelAllowed("openai/o4-mini", list)).toBe(true);
    expect(isModelAllowed("OpenAI/o4-mini", list)).toBe(true);
    expect(isModelAllowed("openai/o4-mini-high", list)).toBe(false);
    expect(isModelAllowed("perplexity/sonar-deep-research", list)).toBe(true);
    // A vendor pattern is the vendor, not a prefix of another vendor's name.
    expect(isModelAllowed("perplexity-labs/x", list)).toBe(false);
  });
});
