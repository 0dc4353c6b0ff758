// Bundles the browser apps (the console; GraphiQL) with esbuild into dist/web/<name>/: content-hashed scripts and styles
// with linked sourcemaps, and an index.html naming them, whose base path the server fills in (src/console/routes.ts).
import {
  mkdir, readdir, rename, rm, stat, writeFile,
} from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { playgroundBuild } from '../src/playground/build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The browser apps. `entryPoints`: esbuild's, name → source; the one called `main` is the page's script (and its CSS
 * the page's style sheet); others (e.g. web workers) are loaded by the app itself, from `${base}<name>-<hash>.js`.
 */
export const WEB_APPS = [
  { name: 'console', title: 'Auth Clients', entryPoints: { main: 'src/console/web/main.tsx' } },
  // GraphiQL: Monaco's web workers as entries of their own; its own esbuild options (src/playground/build.mjs).
  playgroundBuild,
];

/** The placeholder in index.html that the server replaces with the app's URL path, e.g. /console/assets/. */
export const BASE_PLACEHOLDER = '%BASE%';

const STALE_MS = 60 * 60 * 1000;

const escapeHtml = (text) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

async function buildApp({
  name, title, entryPoints, options = {},
}) {
  const out = join(root, 'dist', 'web', name);
  const assets = join(out, 'assets');
  const { metafile } = await build({
    entryPoints: Object.fromEntries(Object.entries(entryPoints).map(([key, path]) => [key, join(root, path)])),
    outdir: assets,
    // The metafile's paths are relative to this.
    absWorkingDir: root,
    // Hashed names: the server lets browsers keep them forever; only index.html is asked for every time.
    entryNames: '[name]-[hash]',
    chunkNames: 'chunks/[name]-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    splitting: false,
    platform: 'browser',
    target: ['es2022', 'chrome115', 'firefox115', 'safari16'],
    jsx: 'automatic',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'linked',
    define: { 'process.env.NODE_ENV': '"production"' },
    // Fonts and images come from here, never from another origin: files referenced by CSS are copied in.
    loader: { '.woff2': 'file', '.woff': 'file', '.ttf': 'file', '.svg': 'file', '.png': 'file' },
    logLevel: 'error',
    ...options,
  });
  const outputs = Object.entries(metafile.outputs);
  const main = outputs.find(([, output]) => output.entryPoint && output.entryPoint.endsWith(entryPoints.main));
  if (!main) throw new Error(`${name}: no output for ${entryPoints.main}`);
  const script = basename(main[0]);
  const style = main[1].cssBundle ? basename(main[1].cssBundle) : undefined;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
${style ? `<link rel="stylesheet" href="${BASE_PLACEHOLDER}${style}">\n` : ''}<script type="module" src="${BASE_PLACEHOLDER}${script}"></script>
</head>
<body>
<div id="root"><p class="loading" role="status">Loading…</p></div>
<noscript>This page needs JavaScript.</noscript>
</body>
</html>
`;
  // Replaced whole, so a request meanwhile reads the old page or the new one.
  await writeFile(join(out, `index.html.${process.pid}.tmp`), html);
  await rename(join(out, `index.html.${process.pid}.tmp`), join(out, 'index.html'));
  // Files of earlier builds go once no open page can still ask for them.
  const current = new Set(outputs.map(([path]) => join(root, path)));
  const sweep = async (dir) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await sweep(path);
      else if (!current.has(path) && Date.now() - (await stat(path)).mtimeMs > STALE_MS) await rm(path, { force: true });
    }
  };
  await sweep(assets);
  return { name, files: outputs.length };
}

export async function buildWeb() {
  await mkdir(join(root, 'dist', 'web'), { recursive: true });
  return Promise.all(WEB_APPS.map(buildApp));
}

if (import.meta.url === `file://${process.argv[1]}`) await buildWeb();
