// Baseline for the list: Apollo Server 5 on Express 5 (@as-integrations/express5) with graphql-shield (through
// graphql-middleware), an equivalent schema (AuthClient, AuthClientConnection with edges/node/totalCount), one shield
// rule checking the bearer token against an in-memory map, and 50 clients in memory, of which a page returns 20.
// Run by bench/run.mjs: PORT=... BEARER_TOKEN=... node bench/baselines/apollo.mjs
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { buildSchema, GraphQLError } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { allow, deny, rule, shield } from 'graphql-shield';

const typeDefs = `
  enum AuthClientGrant { AUTHORIZATION_CODE PASSWORD PERSONAL_ACCESS }
  type AuthClient { id: ID! name: String! grants: [AuthClientGrant!]! redirectUris: [String!]! secretPrefix: String! createdAt: String! updatedAt: String! }
  type AuthClientEdge { cursor: String! node: AuthClient! }
  type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
  type AuthClientConnection { edges: [AuthClientEdge!]! pageInfo: PageInfo! totalCount: Int! }
  type Query { authClients(first: Int = 50, after: String, search: String): AuthClientConnection! }
`;

const createdAt = new Date().toISOString();
const authClients = Array.from({ length: 50 }, (_, i) => ({
  id: randomUUID(),
  name: `Bench client ${String(i + 1).padStart(2, '0')}`,
  grants: ['PASSWORD'],
  redirectUris: [],
  secretPrefix: 'acs_0123456',
  createdAt,
  updatedAt: createdAt,
})).sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));

const schema = buildSchema(typeDefs);
schema.getQueryType().getFields().authClients.resolve = (_parent, { first, search }) => {
  const term = search?.toLowerCase();
  const matching = term ? authClients.filter((client) => client.name.toLowerCase().includes(term)) : authClients;
  const edges = matching.slice(0, first).map((node) => ({ cursor: Buffer.from(node.id).toString('base64url'), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: matching.length > first, hasPreviousPage: false, startCursor: edges[0]?.cursor, endCursor: edges.at(-1)?.cursor,
    },
    totalCount: matching.length,
  };
};

// The one viewer, keyed by their bearer token, as the service's context would find them.
const viewers = new Map([[process.env.BEARER_TOKEN, { username: 'admin', permissions: new Set(['view-auth_clients']) }]]);

const canView = rule('can:view-auth_clients', { cache: 'contextual' })((_parent, _args, { viewer }) => {
  if (!viewer) return new GraphQLError('Sign in first', { extensions: { code: 'UNAUTHENTICATED' } });
  return viewer.permissions.has('view-auth_clients') || new GraphQLError('Forbidden', { extensions: { code: 'FORBIDDEN' } });
});

const permissions = shield({
  Query: { authClients: canView },
  AuthClient: allow,
  AuthClientEdge: allow,
  AuthClientConnection: allow,
  PageInfo: allow,
}, { fallbackRule: deny, allowExternalErrors: true });

const app = express();
const server = createServer(app);
const apollo = new ApolloServer({ schema: applyMiddleware(schema, permissions), introspection: true, stopOnTerminationSignals: false });
await apollo.start();
app.use('/graphql', express.json({ limit: '100kb' }), expressMiddleware(apollo, {
  context: async ({ req }) => {
    const token = /^Bearer +(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    return { viewer: token ? viewers.get(token) ?? null : null };
  },
}));

server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stderr.write('baseline ready\n'));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => apollo.stop().then(() => server.close(() => process.exit(0))));
}
