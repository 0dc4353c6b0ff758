// schema.graphql is what the code emits: the committed contract cannot drift from the resolvers.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { schemaSdl } from '../src/graphql/print-schema.js';

it('matches the schema built from the code (refresh it with: npm run --silent schema:print > schema.graphql)', async () => {
  const committed = await readFile(join(import.meta.dirname, '..', 'schema.graphql'), 'utf8');
  expect(committed).toBe(await schemaSdl());
});
