// Runs the page's unit tests with node's test runner: each test/*.test.ts is bundled
// with the modules it imports (esbuild, no type checking: `npm run check` does that)
// into .test-build/, then `node --test` runs them all.
import { build } from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, ".test-build");
rmSync(out, { recursive: true, force: true });
const tests = readdirSync(join(root, "test")).filter((name) => name.endsWith(".test.ts"));
await build({
  entryPoints: tests.map((name) => join(root, "test", name)),
  outdir: out,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  logLevel: "warning",
});
const files = tests.map((name) => join(out, name.replace(/\.ts$/, ".mjs")));
const run = spawnSync(process.execPath, ["--test", ...files], { stdio: "inherit" });
process.exit(run.status ?? 1);
