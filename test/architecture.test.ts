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

/** Node-only code: it must never reach the Worker's bundle. */
const NODE_ONLY = /^(node:|@slack\/|undici|ws$)|socket-bridge\/|\/scripts\//;

/** `../a/b/../c.ts` → `../a/c.ts`, the way the glob keys are written. */
function resolve(from: string, spec: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of spec.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

/** Every module the Worker's entry reaches, with the bare specifiers it imports. */
function workerGraph(sources: Record<string, string>) {
  const files = new Set<string>();
  const bare = new Set<string>();
  const queue = ["../src/index.ts"];
  while (queue.length) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of importsOf(sources[file] ?? "")) {
      if (!spec.startsWith(".")) bare.add(spec);
      else queue.push(resolve(file, spec));
    }
  }
  return { files, bare };
}

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

  it("keeps Node-only code (the Socket Mode bridge, Bolt, undici, scripts) out of the Worker's import graph", () => {
    const { files, bare } = workerGraph({ ...core, ...adapters });
    expect(files.size).toBeGreaterThan(30);
    expect([...files].filter((f) => !(f in core) && !(f in adapters))).toEqual([]);
    const offenders = [...files, ...bare].filter((spec) => NODE_ONLY.test(spec));
    expect(offenders).toEqual([]);
  });

  it("keeps src/ and the other Slack files from importing the bridge", () => {
    const offenders: string[] = [];
    for (const [file, source] of Object.entries({ ...core, ...adapters })) {
      if (file.includes("/socket-bridge/")) continue;
      for (const spec of importsOf(source))
        if (spec.includes("socket-bridge") || /^(@slack\/bolt|undici)/.test(spec))
          offenders.push(`${file} imports ${spec}`);
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
