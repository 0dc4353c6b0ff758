// Bundles the browser apps with esbuild into dist/web/<name>/: each app's entry keeps its name (its page links it;
// served without caching), what it loads later goes into content-hashed chunks (cached for good), with sourcemaps.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');

// Monaco's modules import their own CSS one file at a time, from chunks loaded later, where nothing would link it:
// graphiql/style.css, imported by the playground's entry, already holds all of it.
const monacoCssFromGraphiql = {
  name: 'monaco-css-from-graphiql',
  setup(builder) {
    builder.onResolve({ filter: /\.css$/ }, ({ importer }) => (importer.includes('/node_modules/monaco-editor/') ? { path: 'monaco.css', namespace: 'empty-css' } : undefined));
    builder.onLoad({ filter: /.*/, namespace: 'empty-css' }, () => ({ contents: '', loader: 'css' }));
  },
};

// graphiql/style.css carries its fonts (Monaco's icons, GraphiQL's type) as data: URLs, which a font-src of 'self'
// refuses: they are written out as files of their own, named by their content.
function fontsAsFiles(outdir) {
  return {
    name: 'fonts-as-files',
    setup(builder) {
      builder.onLoad({ filter: /node_modules\/graphiql\/dist\/style\.css$/ }, async ({ path }) => {
        const css = await readFile(path, 'utf8');
        const fonts = [];
        const contents = css.replace(/url\(["']?data:font\/(\w+);base64,([A-Za-z0-9+/=]+)["']?\)/g, (_match, type, base64) => {
          const bytes = Buffer.from(base64, 'base64');
          const name = `fonts/${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.${type}`;
          fonts.push({ name, bytes });
          return `url(./${name})`;
        });
        await mkdir(join(outdir, 'fonts'), { recursive: true });
        await Promise.all(fonts.map(({ name, bytes }) => writeFile(join(outdir, name), bytes)));
        return { contents, loader: 'css' };
      });
      builder.onResolve({ filter: /^\.\/fonts\// }, ({ path }) => ({ path, external: true }));
    },
  };
}

/** The browser apps: name (the folder under dist/web), entry points, and what else their build needs. */
export const webApps = [
  {
    name: 'playground',
    entryPoints: {
      playground: join(root, 'src/playground/web/playground.tsx'),
      'workers/editor.worker': join(root, 'src/playground/web/workers/editor.worker.ts'),
      'workers/json.worker': join(root, 'src/playground/web/workers/json.worker.ts'),
      'workers/graphql.worker': join(root, 'src/playground/web/workers/graphql.worker.ts'),
    },
    plugins: [monacoCssFromGraphiql, fontsAsFiles(join(out, 'playground'))],
  },
];

export async function buildWeb() {
  await Promise.all(webApps.map(async ({ name, entryPoints, plugins = [] }) => {
    const outdir = join(out, name);
    await rm(outdir, { recursive: true, force: true });
    return build({
      entryPoints,
      outdir,
      entryNames: '[dir]/[name]',
      chunkNames: 'chunks/[name]-[hash]',
      assetNames: 'assets/[name]-[hash]',
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      target: ['chrome120', 'firefox120', 'safari17'],
      minify: true,
      sourcemap: 'linked',
      jsx: 'automatic',
      define: { 'process.env.NODE_ENV': '"production"' },
      loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
      plugins,
      legalComments: 'linked',
      metafile: true,
      logLevel: 'error',
    });
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWeb();
