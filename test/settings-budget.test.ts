import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../adapters/discord/commands.ts";
import { ledgerFor } from "../src/budget/channel-ledger.ts";
import type { Env } from "../src/config.ts";
import type { ModelCatalog, ModelInfo } from "../src/openrouter/types.ts";
import { SETTING_KEYS } from "../src/settings/settings.ts";
import type { SettingsAccess } from "../src/settings/settings-access.ts";
import { runSettingsCommand, type SettingsAction } from "../src/settings/settings-command.ts";
import { SettingsStore, settingsStoreFor } from "../src/settings/settings-store.ts";

const DEEP = "openai/o4-mini-deep-research";
const IDS = [DEEP, "openai/o4-mini", "perplexity/sonar-deep-research", "perplexity/sonar-pro"];

const catalog: ModelCatalog = {
  async get(id) {
    return IDS.includes(id) ? info(id) : undefined;
  },
  async search(query, limit) {
    return IDS.filter((id) => id.includes(query.toLowerCase()))
      .slice(0, limit)
      .map(info);
  },
};

function info(id: string): ModelInfo {
  return {
    id,
    name: id,
    contextLength: 128_000,
    pricing: { prompt: 1e-6, completion: 2e-6 },
    supportedParameters: ["max_tokens"],
    inputModalities: ["text"],
  };
}

let channels = 0;
const freshChannel = (prefix = "C") =>
  `${prefix}${Date.now().toString(36)}B${++channels}`.toUpperCase();

/** Runs the command in `channelId` with operator vars `vars` over the test Worker's. */
function run(
  action: SettingsAction,
  opts: {
    channelId: string;
    canChange?: SettingsAccess;
    vars?: Partial<Env>;
    platform?: "slack" | "discord";
    now?: number;
  },
) {
  return runSettingsCommand(
    {
      env: { ...env, ...opts.vars } as Env,
      platform: opts.platform ?? "slack",
      channelId: opts.channelId,
      canChange: opts.canChange ?? true,
      catalog,
      now: opts.now === undefined ? undefined : () => opts.now as number,
    },
    action,
  );
}

const set = (values: Record<string, string>): SettingsAction => ({ kind: "set", values });
const stored = (channelId: string, platform = "slack") =>
  env.SETTINGS.get(`settings:${platform}:${channelId}`, "json");

describe("daily_budget_usd", () => {
  it("stores 0 as a budget that lets nothing be spent, and says so", async () => {
    const channel = freshChannel();
    const result = await run(set({ daily_budget_usd: "0" }), { channelId: channel });
    expect(result).toEqual({
      ok: true,
      text: expect.stringContaining("- `daily_budget_usd`: $0.00 (nothing may be spent)"),
    });
    expect(await stored(channel)).toEqual({ daily_budget_usd: 0 });
    expect((await settingsStoreFor(env).get("slack", channel)).daily_budget_usd).toBe(0);
  });

  it("applies the operator's default to channels without their own, which off opts out of", async () => {
    const vars = { DEFAULT_DAILY_BUDGET_USD: "2" };
    const store = settingsStoreFor({ ...env, ...vars } as Env);
    const channel = freshChannel();
    expect((await store.get("slack", channel)).daily_budget_usd).toBe(2);
    expect((await run({ kind: "show" }, { channelId: channel, vars })).text).toContain(
      "- `daily_budget_usd`: $2.00 (default)",
    );

    await run(set({ daily_budget_usd: "off" }), { channelId: channel, vars });
    expect(await stored(channel)).toEqual({ daily_budget_usd: "off" });
    expect((await store.get("slack", channel)).daily_budget_usd).toBeUndefined();
    expect((await run({ kind: "show" }, { channelId: channel, vars })).text).toContain(
      "- `daily_budget_usd`: no limit —",
    );

    const back = await run(set({ daily_budget_usd: "default" }), { channelId: channel, vars });
    expect(back.text).toContain("- `daily_budget_usd`: $2.00 (default)");
    expect(await stored(channel)).toBeNull();
  });

  it("a channel's own budget wins over the operator's default, and the store without one ignores it", async () => {
    const channel = freshChannel();
    await new SettingsStore(env.SETTINGS, DEEP).update("slack", channel, { daily_budget_usd: 7.5 });
    const store = new SettingsStore(env.SETTINGS, { model: DEEP, dailyBudgetUsd: 2 });
    expect((await store.get("slack", channel)).daily_budget_usd).toBe(7.5);
    expect(
      (await new SettingsStore(env.SETTINGS, DEEP).get("slack", freshChannel())).daily_budget_usd,
    ).toBeUndefined();
  });

  it("reads a stored budget other than a number or off as unset", async () => {
    const channel = freshChannel();
    await env.SETTINGS.put(
      `settings:slack:${channel}`,
      JSON.stringify({ daily_budget_usd: "lots", followups: false }),
    );
    expect(await new SettingsStore(env.SETTINGS, DEEP).getStored("slack", channel)).toEqual({
      followups: false,
    });
  });
});

describe("today's spend in the settings listing", () => {
  const NOW = Date.parse("2026-12-14T21:00:00Z");

  it("shows what was spent, what running answers hold and what is left of the budget", async () => {
    const channel = freshChannel();
    await run(set({ daily_budget_usd: "5" }), { channelId: channel });
    const ledger = ledgerFor(env, "slack", channel);
    await ledger.settle({ day: "2026-12-14", id: "a", costUsd: 0.3 });
    await ledger.settle({ day: "2026-12-14", id: "b", costUsd: 0.12 });
    await ledger.reserve({ day: "2026-12-14", id: "c", estimateUsd: 0.1, budgetUsd: 5 });
    // Yesterday does not count.
    await ledger.settle({ day: "2026-12-13", id: "y", costUsd: 4 });
    const { text } = await run({ kind: "show" }, { channelId: channel, now: NOW });
    expect(text).toContain(
      "**Today** (UTC): $0.42 spent on 2 answers, $0.10 held by answers running now; $4.48 left of $5.00. Resets at 00:00 UTC, in 3 h.",
    );
    // It comes after the keys, before how to change them.
    expect(text.split("\n").at(-2)).toMatch(/^\*\*Today\*\*/);
  });

  it("says there is no budget, or that nothing may be spent, next to the spend", async () => {
    const channel = freshChannel();
    await ledgerFor(env, "slack", channel).settle({ day: "2026-12-14", id: "a", costUsd: 1.5 });
    expect((await run({ kind: "show" }, { channelId: channel, now: NOW })).text).toContain(
      "**Today** (UTC): $1.50 spent on 1 answer; no daily budget.",
    );
    await run(set({ daily_budget_usd: "0" }), { channelId: channel });
    expect((await run({ kind: "show" }, { channelId: channel, now: NOW })).text).toContain(
      "the budget is $0, so nothing may be spent.",
    );
  });

  it("still lists the settings when the ledger cannot be read", async () => {
    const ledger = { today: async () => Promise.reject(new Error("ledger unreachable")) };
    const result = await runSettingsCommand(
      { env, platform: "discord", channelId: freshChannel(), canChange: false, catalog, ledger },
      { kind: "show" },
    );
    expect(result.ok).toBe(true);
    expect(result.text).toContain("- `model`:");
    expect(result.text).toContain(
      "**Today** (UTC): the spend could not be read (ledger unreachable).",
    );
  });
});

describe("web_search", () => {
  it("is off by default, and takes on, off and default", async () => {
    const channel = freshChannel();
    expect((await run({ kind: "show" }, { channelId: channel })).text).toContain(
      "- `web_search`: off (default)",
    );
    expect((await run(set({ web_search: "on" }), { channelId: channel })).text).toContain(
      "- `web_search`: on",
    );
    expect(await stored(channel)).toEqual({ web_search: true });
    expect((await settingsStoreFor(env).get("slack", channel)).web_search).toBe(true);
    await run(set({ web_search: "off" }), { channelId: channel });
    expect(await stored(channel)).toEqual({ web_search: false });
    await run(set({ web_search: "default" }), { channelId: channel });
    expect(await stored(channel)).toBeNull();
  });

  it("refuses anything but on or off, saying so, and changes nothing", async () => {
    const channel = freshChannel();
    const result = await run(set({ web_search: "sometimes", followups: "off" }), {
      channelId: channel,
    });
    expect(result).toEqual({
      ok: false,
      text: "Nothing was changed:\n- `web_search` must be `on` or `off`, not `sometimes`.",
    });
    expect(await stored(channel)).toBeNull();
  });
});

describe("ALLOWED_MODELS", () => {
  const vars = { ALLOWED_MODELS: `${DEEP}, perplexity/*` };

  it("refuses a model outside the allow-list, saying which are allowed, and changes nothing", async () => {
    const channel = freshChannel();
    const result = await run(set({ model: "openai/o4-mini", followups: "off" }), {
      channelId: channel,
      vars,
    });
    expect(result).toEqual({
      ok: false,
      text: `Nothing was changed:\n- Model \`openai/o4-mini\` is not allowed here. Allowed: \`${DEEP}\`, \`perplexity/*\`.`,
    });
    expect(await stored(channel)).toBeNull();
  });

  it("takes an allowed model, exact or by vendor, and suggests only allowed ones for a typo", async () => {
    const channel = freshChannel();
    expect(
      (await run(set({ model: "perplexity/sonar-pro" }), { channelId: channel, vars })).ok,
    ).toBe(true);
    expect((await run(set({ model: "default" }), { channelId: channel, vars })).ok).toBe(true);
    const typo = await run(set({ model: "perplexity/sonar-deep-reserch" }), {
      channelId: channel,
      vars,
    });
    expect(typo.text).toMatch(
      /Did you mean `perplexity\/sonar-deep-research`, `perplexity\/sonar-pro`\?/,
    );
    // o4-mini is in the catalog but not allowed, so it is not offered.
    const o4 = await run(set({ model: "perplexity/o4" }), { channelId: channel, vars });
    expect(o4.text).not.toContain("`openai/o4-mini`");
  });

  it("leaves every model open when the list is empty", async () => {
    const channel = freshChannel();
    expect((await run(set({ model: "openai/o4-mini" }), { channelId: channel })).ok).toBe(true);
  });
});

describe("DM_SETTINGS", () => {
  const dm = (admin: boolean): SettingsAccess => ({ dm: true, admin });

  it("lets the person in a DM change its settings by default", async () => {
    const channel = freshChannel("D");
    const result = await run(set({ followups: "off" }), {
      channelId: channel,
      canChange: dm(false),
    });
    expect(result).toEqual({
      ok: true,
      text: expect.stringMatching(/^Updated this direct message's settings/),
    });
    const shown = await run({ kind: "show" }, { channelId: channel });
    expect(shown.text).toContain("Only the person in this direct message can change them.");
  });

  it("with admins, lets only Slack workspace admins and owners change a DM's settings", async () => {
    const vars = { DM_SETTINGS: "admins" };
    const channel = freshChannel("D");
    expect(
      await run(set({ followups: "off" }), { channelId: channel, canChange: dm(false), vars }),
    ).toEqual({
      ok: false,
      text: "Only workspace admins and owners can change this direct message's settings. Nothing was changed.",
    });
    expect(await stored(channel)).toBeNull();
    expect(
      (await run(set({ followups: "off" }), { channelId: channel, canChange: dm(true), vars })).ok,
    ).toBe(true);
    // Discord DMs have no admins: only the operator's vars apply there.
    const discord = await run(set({ followups: "off" }), {
      channelId: freshChannel(),
      canChange: dm(false),
      vars,
      platform: "discord",
    });
    expect(discord.text).toMatch(
      /fixed by its operator \(`DM_SETTINGS`\)\. Nothing was changed\.$/,
    );
  });

  it("with nobody, refuses every change in a DM but still shows the settings", async () => {
    const vars = { DM_SETTINGS: "nobody" };
    const channel = freshChannel("D");
    for (const action of [set({ followups: "off" }), { kind: "reset" } as const]) {
      const result = await run(action, { channelId: channel, canChange: dm(true), vars });
      expect(result).toEqual({ ok: false, text: expect.stringMatching(/fixed by its operator/) });
    }
    const shown = await run({ kind: "show" }, { channelId: channel, vars });
    expect(shown.ok).toBe(true);
    expect(shown.text).toContain("Only Quarry's operator (`DM_SETTINGS`) can change them.");
  });

  it("leaves channels to the platform's permissions whatever the DM policy", async () => {
    const vars = { DM_SETTINGS: "nobody" };
    const channel = freshChannel();
    expect(
      (await run(set({ followups: "off" }), { channelId: channel, canChange: true, vars })).ok,
    ).toBe(true);
    expect(
      (await run(set({ followups: "on" }), { channelId: channel, canChange: false, vars })).text,
    ).toBe(
      "Only workspace admins and owners can change this channel's settings. Nothing was changed.",
    );
  });
});

describe("a malformed operator var", () => {
  it("is named in the reply, and nothing is changed", async () => {
    const channel = freshChannel();
    const result = await run(set({ followups: "off" }), {
      channelId: channel,
      vars: { DM_SETTINGS: "everyone" },
    });
    expect(result).toEqual({
      ok: false,
      text: expect.stringMatching(
        /^Quarry is misconfigured: DM_SETTINGS must be "user", "admins", "nobody" or empty/,
      ),
    });
    expect(await stored(channel)).toBeNull();
  });
});

describe("Discord /settings set", () => {
  it("has an option for every setting key, each described within Discord's 100 characters", () => {
    type Option = { name: string; description: string; type: number; options?: Option[] };
    const settings = COMMANDS.find((c) => c.name === "settings") as { options?: Option[] };
    const options = settings.options?.find((o) => o.name === "set")?.options ?? [];
    expect(options.map((o) => o.name).sort()).toEqual([...SETTING_KEYS].sort());
    for (const o of options) expect(o.description.length).toBeLessThanOrEqual(100);
    // A string, so off and default can be given as well as amounts.
    expect(options.find((o) => o.name === "daily_budget_usd")?.type).toBe(3);
  });
});
