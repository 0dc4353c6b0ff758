// Per-request GraphQL context: a fresh EntityManager and the viewer named by the access token, if any.
import type { IncomingMessage } from 'node:http';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { GraphQLError } from 'graphql';
import type { AccessControlService } from '../access-control/access-control.service.js';
import type { UserRecord } from '../users/user.service.js';
import type { ProviderRef } from '../oidc/provider.js';
import type { TokenCheck } from '../oidc/token-check.js';

export interface Viewer {
  user: UserRecord;
  /** Effective permission names; kept from an earlier request only until any grant of permissions changes. */
  permissions: ReadonlySet<string>;
  /** The scopes of the token the request came with: what it may use of those permissions. */
  scopes: ReadonlySet<string>;
}

export interface Context {
  readonly em: EntityManager;
  /** Null only when the request carried no token at all. */
  viewer: Viewer | null;
}

export interface ContextDeps {
  orm: MikroORM;
  providers: ProviderRef;
  accessControl: AccessControlService;
  tokenCheck: TokenCheck;
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function invalidToken(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: 'UNAUTHENTICATED',
      http: { status: 401, headers: new Map([['www-authenticate', 'Bearer error="invalid_token"']]) },
    },
  });
}

export function createContextFactory({
  orm, providers, accessControl, tokenCheck,
}: ContextDeps) {
  // The same check as introspection, userinfo and refresh (oidc/token-check.ts), remembered until what it rests on
  // changes. A token bound to another resource server (aud) is not for this API.
  async function viewerFor(header: string): Promise<Viewer> {
    const value = BEARER.exec(header)?.[1];
    if (!value) throw invalidToken('The Authorization header must be "Bearer <access token>"');
    const holder = await tokenCheck.accessToken(providers.current, value);
    if (!holder || holder.audience !== undefined) throw invalidToken('The access token is invalid, expired or revoked');
    const { grantedPermissions: _granted, ...user } = holder.user;
    return { user, permissions: accessControl.effectivePermissions(holder.user), scopes: holder.scopes };
  }

  return async ({ req }: { req: IncomingMessage }): Promise<Context> => {
    const header = req.headers.authorization;
    const viewer = header === undefined ? null : await viewerFor(header);
    let em: EntityManager | undefined;
    // Forked on first use: most requests (lists, the viewer) read through plain SQL and need none.
    return {
      get em() {
        em ??= orm.em.fork();
        return em;
      },
      viewer,
    };
  };
}
