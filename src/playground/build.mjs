// How scripts/build-web.mjs bundles the playground (GraphiQL): its entries, Monaco's web workers among them, and the
// esbuild options and plugins only it needs.
import { readFile } from 'node:fs/promises';

// Monaco's modules import their own CSS one file at a time, from chunks loaded later, where nothing would link it:
// graphiql/style.css, imported by the playground's entry, already holds all of it.
const monacoCssFromGraphiql = {
  name: 'monaco-css-from-graphiql',
  setup(builder) {
    builder.onResolve({ filter: /\.css$/ }, ({ importer }) => (importer.includes('/node_modules/monaco-editor/') ? { path: 'monaco.css', namespace: 'empty-css' } : undefined));
    builder.onLoad({ filter: /.*/, namespace: 'empty-css' }, () => ({ contents: '', loader: 'css' }));
  },
};

// graphiql/style.css carries its fonts (Monaco's icons, GraphiQL's type) as data: URLs, which font-src 'self' refuses:
// each becomes a file of the build, named by its content.
const fontsAsFiles = {
  name: 'fonts-as-files',
  setup(builder) {
    const fonts = [];
    builder.onLoad({ filter: /node_modules\/graphiql\/dist\/style\.css$/ }, async ({ path }) => {
      const css = await readFile(path, 'utf8');
      const contents = css.replace(/url\(["']?data:font\/(\w+);base64,([A-Za-z0-9+/=]+)["']?\)/g, (_match, type, base64) => {
        fonts.push(Buffer.from(base64, 'base64'));
        return `url(graphiql-font:${fonts.length - 1}.${type})`;
      });
      return { contents, loader: 'css' };
    });
    builder.onResolve({ filter: /^graphiql-font:/ }, ({ path }) => ({ path: path.slice('graphiql-font:'.length), namespace: 'graphiql-font' }));
    builder.onLoad({ filter: /.*/, namespace: 'graphiql-font' }, ({ path }) => ({ contents: fonts[Number.parseInt(path, 10)], loader: 'file' }));
  },
};

export const playgroundBuild = {
  name: 'playground',
  title: 'GraphQL playground · Auth Clients',
  entryPoints: {
    main: 'src/playground/web/playground.tsx',
    'editor.worker': 'src/playground/web/workers/editor.worker.ts',
    'json.worker': 'src/playground/web/workers/json.worker.ts',
    'graphql.worker': 'src/playground/web/workers/graphql.worker.ts',
  },
  options: {
    // The page and Monaco name these files, so they keep their names (served without caching, playground/routes.ts);
    // what they load later (Monaco, the languages, prettier) goes into content-hashed chunks.
    entryNames: '[name]',
    splitting: true,
    plugins: [monacoCssFromGraphiql, fontsAsFiles],
  },
};
