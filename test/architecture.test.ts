/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";

// Vite inlines the sources at transform time, so this runs inside workerd without a file system.
const core = import.meta.glob<string>("../src/**/*.ts", {
  query: "?raw",
  import: "default",
  eager: true,
});
const adapters = import.meta.glob<string>("../adapters/**/*.ts", {
  query: "?raw",
  import: "default",
  eager: true,
});

const importsOf = (source: string) =>
  [...source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/gm)].map(
    (m) => m[1] as string,
  );

describe("architecture", () => {
  it("reads the sources it checks", () => {
    expect(Object.keys(core).length).toBeGreaterThan(20);
    expect(Object.keys(adapters).length).toBeGreaterThan(15);
  });

  it("keeps src/ platform-neutral: only the composition root imports adapters or platform SDKs", () => {
    const offenders: string[] = [];
    for (const [file, source] of Object.entries(core)) {
      if (file.endsWith("/src/index.ts")) continue;
      for (const spec of importsOf(source)) {
        if (
          spec.includes("/adapters/") ||
          /^(discord-api-types|@slack\/|discord\.js|@discordjs\/)/.test(spec)
        ) {
          offenders.push(`${file} imports ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it("keeps each platform's adapter out of the other's folder", () => {
    const offenders: string[] = [];
    for (const [file, source] of Object.entries(adapters)) {
      const own = file.includes("/adapters/slack/") ? "slack" : "discord";
      const other = own === "slack" ? "discord" : "slack";
      for (const spec of importsOf(source))
        if (spec.includes(`/${other}/`)) offenders.push(`${file} imports ${spec}`);
    }
    expect(offenders).toEqual([]);
  });

  it("keeps every source file under 400 lines", () => {
    const long = Object.entries({ ...core, ...adapters })
      .map(([file, source]) => [file, source.split("\n").length] as const)
      .filter(([, lines]) => lines > 400);
    expect(long).toEqual([]);
  });
});
