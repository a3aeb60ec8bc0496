// Builds the page into dist/: index.html and app.css copied from static/, app.js bundled
// from src/main.ts with esbuild. Fixed file names and no timestamps, so the same
// sources and lockfile give byte-identical output (the `activity` component embeds dist/).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
for (const name of readdirSync(join(root, "static")).sort()) {
  copyFileSync(join(root, "static", name), join(dist, name));
}
await build({
  entryPoints: [join(root, "src", "main.ts")],
  outfile: join(dist, "app.js"),
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  minify: true,
  sourcemap: false,
  legalComments: "eof",
  charset: "utf8",
  logLevel: "warning",
});
