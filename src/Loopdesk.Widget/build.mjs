// Builds widget.js (one minified IIFE, checked against its size budget), the logic tests, or the preview page.
//   node build.mjs [--out FILE]   the widget, by default into the host's wwwroot/chat/widget.js
//   node build.mjs --tests        test/*.test.ts into obj/tests/ for `node --test obj/tests/`
//   node build.mjs --preview      preview/ into obj/preview/: every state of the panel with made-up data
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const budget = 35 * 1024;
const browsers = ["es2020", "chrome96", "edge96", "firefox94", "safari15"];

if (args.includes("--tests")) {
  const tests = readdirSync(join(here, "test")).filter((f) => f.endsWith(".test.ts")).map((f) => join(here, "test", f));
  await build({ entryPoints: tests, outdir: join(here, "obj", "tests"), outExtension: { ".js": ".mjs" }, bundle: true, platform: "node", format: "esm", target: "node18", logLevel: "warning" });
} else if (args.includes("--preview")) {
  const out = join(here, "obj", "preview");
  await build({ entryPoints: [join(here, "preview", "preview.ts")], outfile: join(out, "preview.js"), bundle: true, format: "iife", target: browsers, logLevel: "warning" });
  copyFileSync(join(here, "preview", "index.html"), join(out, "index.html"));
} else {
  const at = args.indexOf("--out");
  const outfile = resolve(at >= 0 ? args[at + 1] : join(here, "..", "Loopdesk", "wwwroot", "chat", "widget.js"));
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [join(here, "src", "index.ts")], outfile, bundle: true, minify: true, format: "iife", target: browsers,
    platform: "browser", legalComments: "eof", sourcemap: false, logLevel: "warning",
  });
  const size = gzipSync(readFileSync(outfile), { level: 9 }).length;
  if (size > budget) {
    console.error(`widget.js is ${(size / 1024).toFixed(1)} KB gzipped, over its budget of ${budget / 1024} KB`);
    process.exit(1);
  }
  console.log(`widget.js: ${(size / 1024).toFixed(1)} KB gzipped (budget ${budget / 1024} KB) -> ${outfile}`);
}
