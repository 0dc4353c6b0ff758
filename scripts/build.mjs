// Compiles src/ and mikro-orm.config.ts to dist/ with SWC (decorator metadata included, no type check: that is
// `npm run typecheck`), then bundles the process entries with esbuild into dist/bundle/ (the service, the CLI, and the
// embedded database's own process): a few files to read instead of some 1,500 modules to find, open and link, which is
// most of a start. What is loaded with import() (the migrations, code only some paths need) goes into chunks of its
// own, read only when first used; code the entries share goes into shared chunks.
import {
  readdir, readFile, mkdir, rename, rm, stat, writeFile,
} from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformFile } from '@swc/core';
import { build } from 'esbuild';
import { buildWeb } from './build-web.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');

async function* sources(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // Browser code (src/console/web/) is bundled for the browser by build-web.mjs, not compiled for Node.
    if (entry.isDirectory()) {
      if (entry.name !== 'web') yield* sources(path);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

// The browser apps are bundled meanwhile: they share nothing with the server's build.
const web = buildWeb();

const options = {
  sourceMaps: true,
  jsc: {
    target: 'es2022',
    keepClassNames: true,
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
  },
  module: { type: 'es6' },
};

// Files are overwritten in place, never removed first: a CLI started meanwhile must still find its modules.
const files = [join(root, 'mikro-orm.config.ts')];
for await (const file of sources(join(root, 'src'))) files.push(file);
await Promise.all(files.map(async (file) => {
  const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
  const { code, map } = await transformFile(file, { ...options, sourceFileName: relative(dirname(target), file) });
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, `${code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
  if (map) await writeFile(`${target}.map`, map);
}));

// Left out of the bundle: native or WebAssembly packages that find their files next to their own code, and the
// drivers of databases MikroORM and knex support but this service never loads (they are not installed).
const external = [
  '@node-rs/argon2', '@electric-sql/pglite', '@electric-sql/pglite-socket',
  'pg-native', 'pg-query-stream', 'oracledb', 'better-sqlite3', 'sqlite3', 'libsql', 'mysql', 'mysql2', 'mariadb', 'tedious',
  '@mikro-orm/better-sqlite', '@mikro-orm/sqlite', '@mikro-orm/libsql', '@mikro-orm/mysql', '@mikro-orm/mariadb',
  '@mikro-orm/mssql', '@mikro-orm/mongodb', '@mikro-orm/entity-generator', '@mikro-orm/seeder', '@mikro-orm/cli',
  'ts-node', '@swc/core', 'class-transformer', '@apollo/subgraph', '@apollo/gateway',
];
// MikroORM reads its own version with require('../../package.json'), falling back to '../package.json', to check
// that every @mikro-orm package matches: bundled, those paths would reach our package.json. Point them at its own.
const mikroOrmVersion = {
  name: 'mikro-orm-version',
  setup(builder) {
    builder.onResolve({ filter: /^(\.\.\/)+package\.json$/ }, ({ importer }) => {
      const core = importer.match(/^(.*\/node_modules\/@mikro-orm\/core)\//)?.[1];
      return core ? { path: join(core, 'package.json') } : undefined;
    });
  },
};

// Node gives an `import` of one of its own modules an ES module face by reading every export once, which runs their
// lazy getters: http.WebSocket alone loads undici (some 25 ms of a start), crypto.webcrypto the Web Crypto API.
// require() reads nothing until used, so the bundles take Node's modules through it.
const builtinsThroughRequire = {
  name: 'builtins-through-require',
  setup(builder) {
    builder.onResolve({ filter: /^[a-z_/:0-9]+$/ }, ({ path, kind }) => {
      if (kind !== 'import-statement' && kind !== 'dynamic-import') return undefined;
      const name = path.replace(/^node:/, '');
      if (!isBuiltin(name) || name.includes('test')) return undefined;
      return { path: `node:${name}`, namespace: 'builtin-through-require' };
    });
    builder.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, ({ path }) => ({
      contents: `module.exports = require(${JSON.stringify(path)});`,
      loader: 'js',
    }));
  },
};

// graphql's ES module build has a .mjs beside each of its files, which `graphql` itself resolves to (mainFields
// below) but a deep import does not: graphql-armor's `graphql/language/parser` would bring in the CommonJS build too.
const graphqlDeepImportsAsModules = {
  name: 'graphql-deep-imports-as-modules',
  setup(builder) {
    builder.onResolve({ filter: /^graphql\/[\w/]+$/ }, async ({ path, resolveDir, kind }) => {
      const resolved = await builder.resolve(`${path}.mjs`, { resolveDir, kind });
      return resolved.errors.length === 0 ? { path: resolved.path } : undefined;
    });
  },
};

// graphql checks every instanceof it makes (isObjectType, isListType ... on every field of every answer) against a
// second copy of itself, unless NODE_ENV is production: 6% of a list request's time. The bundle holds one graphql (the
// ES module build, deep imports included, above), so that check can never fire in it; the tests, which run without
// the bundle, keep it.
const graphqlWithoutRealmCheck = {
  name: 'graphql-without-realm-check',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]node_modules[\\/]graphql[\\/]jsutils[\\/]instanceOf\.mjs$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      const contents = source.replace(/const isProduction =[^;]*;/, 'const isProduction = true;');
      if (contents === source) throw new Error(`${path} no longer has the isProduction switch that scripts/build.mjs turns on`);
      return { contents, loader: 'js' };
    });
  },
};

// Apollo hashes every request's query text (its document cache key) through @apollo/utils.createhash, which takes
// node:crypto only where `module.require` exists: in a bundle's CommonJS wrapper it does not, and every hash fell back
// to sha.js, SHA-256 in JavaScript (~7 µs a request). The bundle gets the node:crypto path it takes unbundled.
const apolloHashWithNodeCrypto = {
  name: 'apollo-hash-with-node-crypto',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]node_modules[\\/]@apollo[\\/]utils\.createhash[\\/]dist[\\/]index\.js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      const contents = source.replace('utils_isnodelike_1.isNodeLike && module.require', 'true')
        .replace('module.require("crypto")', 'require("node:crypto")');
      if (!contents.includes('if (true)') || contents.includes('module.require')) {
        throw new Error(`${path} no longer picks node:crypto as scripts/build.mjs expects`);
      }
      return { contents, loader: 'js' };
    });
  },
};

// main.js and cli.js stay tiny and load the big bundles with import(): the compile cache they turn on can only serve
// modules loaded after it, so the bundles must not be the entry files themselves.
const { outputFiles, metafile } = await build({
  entryPoints: {
    main: join(out, 'src', 'main.js'),
    cli: join(out, 'src', 'cli.js'),
    'run-service': join(out, 'src', 'run-service.js'),
    'run-cli': join(out, 'src', 'run-cli.js'),
    'embedded-server': join(out, 'src', 'db', 'embedded-server.js'),
  },
  outdir: join(out, 'bundle'),
  chunkNames: 'chunks/[name]-[hash]',
  write: false,
  bundle: true,
  splitting: true,
  // Without spaces and comments the files are a third smaller, and plain ASCII: less to read, decode and hash on
  // every start. Names stay as written (MikroORM and type-graphql go by class names); `node --enable-source-maps`
  // maps stack traces back to the code.
  minifyWhitespace: true,
  // A package's ES module build before its CommonJS one: ES modules are joined into the bundle as plain code, where
  // each CommonJS module is wrapped and its exports copied once per importing module (graphql's hundreds of exports,
  // some 80 times). Of the packages bundled, this changes graphql, yup (graphql-shield's) and class-validator's own.
  mainFields: ['module', 'main'],
  metafile: true,
  sourcemap: 'linked',
  sourcesContent: false,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: [...external, './run-service.js', './run-cli.js'],
  plugins: [mikroOrmVersion, builtinsThroughRequire, graphqlDeepImportsAsModules, graphqlWithoutRealmCheck, apolloHashWithNodeCrypto],
  // CommonJS packages inside an ES module bundle still call require() for Node's own modules and the externals.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'error',
});
// One graphql only: a second copy, say its CommonJS build required by one package beside the ES build imported by
// another, would make every schema fail graphql's instanceof checks.
const graphqlBuilds = new Set(Object.keys(metafile.inputs).filter((path) => path.startsWith('node_modules/graphql/'))
  .map((path) => (path.endsWith('.mjs') ? 'ES module' : 'CommonJS')));
if (graphqlBuilds.size > 1) throw new Error('graphql is bundled twice, as an ES module and as CommonJS');

// Each file is replaced whole (written aside, then renamed), so a process starting meanwhile reads the old or the new.
// Chunks are named by their content and written first; the entries, written last, are what switches a start to the
// new build.
const chunks = join(out, 'bundle', 'chunks');
await mkdir(chunks, { recursive: true });
async function replace({ path, contents }) {
  await writeFile(`${path}.${process.pid}.tmp`, contents);
  await rename(`${path}.${process.pid}.tmp`, path);
}
const isChunk = ({ path }) => path.startsWith(`${chunks}/`);
await Promise.all(outputFiles.filter(isChunk).map(replace));
await Promise.all(outputFiles.filter((file) => !isChunk(file)).map(replace));
// Chunks of earlier builds go once no process can still be starting from them; a running one loads its lazy chunks
// during its start.
const current = new Set(outputFiles.map(({ path }) => path));
const STALE_MS = 60 * 60 * 1000;
await Promise.all((await readdir(chunks)).map(async (name) => {
  const path = join(chunks, name);
  if (current.has(path)) return;
  if (Date.now() - (await stat(path)).mtimeMs > STALE_MS) await rm(path, { force: true });
}));
await web;
