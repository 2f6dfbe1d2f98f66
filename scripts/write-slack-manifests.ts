/** `npm run slack:manifest`: writes both manifest files and the README's create-app links. */
import { readFileSync, writeFileSync } from "node:fs";
import { MANIFEST_FILES, manifestText, readmeWithLinks } from "./slack-manifest.ts";

for (const [variant, file] of Object.entries(MANIFEST_FILES) as [
  keyof typeof MANIFEST_FILES,
  string,
][]) {
  writeFileSync(file, manifestText(variant));
  console.log(`wrote ${file}`);
}
writeFileSync("README.md", readmeWithLinks(readFileSync("README.md", "utf8")));
console.log("updated the create-app links in README.md");
