import { describe, expect, it } from "vitest";
import { envMismatches, interfaceMembers } from "../../scripts/env-check.ts";

const generated = `interface __BaseEnv_Env {
	SETTINGS: KVNamespace;
	DEFAULT_MODEL: "openai/o4-mini-deep-research";
	OPENROUTER_BASE_URL: "https://openrouter.ai/api/v1";
	OPENROUTER_API_KEY: string;
	CONVERSATIONS: DurableObjectNamespace<import("../src/index").ConversationObject>;
}`;

const declared = `export interface Env {
  SETTINGS: KVNamespace;
  /** One per thread. */
  CONVERSATIONS: DurableObjectNamespace;
  // a line comment
  OPENROUTER_API_KEY?: string;
  OPENROUTER_BASE_URL?: string;
  DEFAULT_MODEL?: string;
}`;

describe("Env vs wrangler.toml", () => {
  it("reads interface members, skipping comments and keeping URLs in types", () => {
    expect([...interfaceMembers(generated, "__BaseEnv_Env")]).toContainEqual([
      "OPENROUTER_BASE_URL",
      '"https://openrouter.ai/api/v1"',
    ]);
    expect([...interfaceMembers(declared, "Env").keys()]).toEqual([
      "SETTINGS",
      "CONVERSATIONS",
      "OPENROUTER_API_KEY",
      "OPENROUTER_BASE_URL",
      "DEFAULT_MODEL",
    ]);
  });

  it("accepts optional strings for vars and secrets and namespaces of any class", () => {
    const g = interfaceMembers(generated, "__BaseEnv_Env");
    expect(envMismatches(g, interfaceMembers(declared, "Env"))).toEqual([]);
  });

  it("names a binding missing from Env, one missing from wrangler.toml, and a kind mismatch", () => {
    const g = interfaceMembers(generated.replace("}", '\tNEW_VAR: "x";\n}'), "__BaseEnv_Env");
    const d = interfaceMembers(
      declared.replace("SETTINGS: KVNamespace;", "SETTINGS: string;\n  OLD_SECRET?: string;"),
      "Env",
    );
    expect(envMismatches(g, d)).toEqual([
      "SETTINGS is KVNamespace for wrangler but string in Env",
      "NEW_VAR (string) is in wrangler.toml or .dev.vars.example but not in Env",
      "OLD_SECRET is in Env but neither in wrangler.toml nor in .dev.vars.example",
    ]);
  });
});
