// Runs every bench/*.bench.ts in turn: `npm run bench` (node --experimental-strip-types).
// `npm run bench -- streaming pipeline` runs only the files whose names contain one of the words.
// Benchmarks print figures and assert nothing; timings vary with the machine.

interface NodeProcess {
  getBuiltinModule(id: "node:fs"): { readdirSync(path: URL): string[] };
  argv: string[];
  exitCode?: number;
}

const node = process as NodeProcess;
// The Workers types in tsconfig do not declare Node's `import.meta.url`.
const here = new URL("./", (import.meta as ImportMeta & { url: string }).url);
const only = node.argv.slice(2);
const files = node
  .getBuiltinModule("node:fs")
  .readdirSync(here)
  .filter((name) => name.endsWith(".bench.ts"))
  .filter((name) => !only.length || only.some((word) => name.includes(word)))
  .sort();
if (!files.length) {
  console.error(`no bench/*.bench.ts matches ${only.join(", ")}`);
  node.exitCode = 1;
}

for (const file of files) {
  console.log(`\n# ${file}`);
  const mod = (await import(new URL(file, here).href)) as { run?: () => Promise<void> };
  if (typeof mod.run !== "function") {
    console.error(`${file} exports no run()`);
    node.exitCode = 1;
    continue;
  }
  await mod.run();
}
