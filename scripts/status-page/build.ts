/**
 * Builds the status page (`status-page/`) into `status-page/public/build/` (git-ignored): the page's
 * TypeScript bundled with uPlot into one ES module (`app.js`) and uPlot's stylesheet copied from
 * node_modules, so everything the page loads comes from the Worker's own origin (the CSP allows
 * nothing else). The rest of `status-page/public/` (HTML, CSS, `_headers`) is committed as it is.
 *
 * wrangler runs this as the `[build]` command of wrangler.toml, so `wrangler dev` — and with it
 * `npm start`, `npm run stack` and the tests that start wrangler dev — always serves a fresh build.
 *
 *   node --import tsx scripts/status-page/build.ts
 */
import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface StatusPageBuild {
  /** Output folder (status-page/public/build). */
  outDir: string;
  /** Bytes of each file written, by name. */
  files: Record<string, number>;
}

/**
 * zod's namespace export carries every locale (about 300 KiB minified, most of the bundle) and a
 * namespace cannot be tree-shaken; the page shows the API's own messages, and zod's default locale
 * (English) is imported by zod directly, so the bundle keeps only that one.
 */
const zodEnglishOnly: Plugin = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: "zod-locales", namespace: "zod-en" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "zod-en" }, () => ({
      contents: `export { default as en } from "zod/v4/locales/en.js";`,
      resolveDir: ROOT,
      loader: "js",
    }));
  },
};

/** Bundles the page and copies uPlot's CSS; throws with esbuild's messages when the source is broken. */
export async function buildStatusPage(root = ROOT): Promise<StatusPageBuild> {
  const outDir = join(root, "status-page", "public", "build");
  mkdirSync(outDir, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, "status-page", "src", "main.ts")],
    outfile: join(outDir, "app.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    plugins: [zodEnglishOnly],
    logLevel: "warning",
  });
  // uPlot's stylesheet from the installed package (resolved the way Node resolves the package).
  const require = createRequire(join(root, "package.json"));
  const uplotDir = dirname(require.resolve("uplot/package.json"));
  copyFileSync(join(uplotDir, "dist", "uPlot.min.css"), join(outDir, "uPlot.min.css"));
  const files = Object.fromEntries(
    ["app.js", "uPlot.min.css"].map((f) => [f, statSync(join(outDir, f)).size]),
  );
  return { outDir, files };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const out = await buildStatusPage().catch(() => {
    // esbuild has already printed each error with its file and line.
    process.stderr.write("status page build failed\n");
    process.exit(1);
  });
  const sizes = Object.entries(out.files)
    .map(([f, b]) => `${f} ${(b / 1024).toFixed(1)} KiB`)
    .join(", ");
  process.stdout.write(
    `status page built in ${(performance.now() - started).toFixed(0)} ms → ${relative(ROOT, out.outDir)}/ (${sizes})\n`,
  );
}
