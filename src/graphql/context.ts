// Per-request GraphQL context: a fresh EntityManager and the viewer named by the bearer token, if any.
import type { IncomingMessage } from 'node:http';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { GraphQLError } from 'graphql';
import type { AccessControlService } from '../access-control/access-control.service.js';
import type { UserRecord, UserService } from '../users/user.service.js';
import type { ChangeFeed } from '../db/change-feed.js';
import { storedIdOf } from '../oidc/adapter.js';
import type { ProviderRef } from '../oidc/provider.js';
import type { Secrets } from '../shared/secrets.js';
import { ViewerCache } from './viewer-cache.js';
import { PERSONAL_ACCESS_GTY, type PersonalAccessTokenService } from '../personal-access-tokens/personal-access-token.service.js';

export interface Viewer {
  user: UserRecord;
  /** Effective permission names, read fresh on every request so a change applies at once. */
  permissions: ReadonlySet<string>;
}

export interface Context {
  readonly em: EntityManager;
  /** Null only when the request carried no token at all. */
  viewer: Viewer | null;
}

export interface ContextDeps {
  orm: MikroORM;
  providers: ProviderRef;
  users: UserService;
  accessControl: AccessControlService;
  personalAccessTokens: PersonalAccessTokenService;
  secrets: Secrets;
  changes: ChangeFeed;
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
  orm, providers, users, accessControl, personalAccessTokens, secrets, changes,
}: ContextDeps) {
  const viewers = new ViewerCache(changes);

  // A token seen before is answered from memory until anything it rests on changes (viewer-cache.ts). Otherwise two
  // round trips: the token, then the user with their permissions (and, for some tokens, their session or personal
  // access token record) at once. The client comes from the provider's cache of clients.
  async function viewerFor(header: string): Promise<Viewer> {
    const provider = providers.current;
    const value = BEARER.exec(header)?.[1];
    if (!value) throw invalidToken('The Authorization header must be "Bearer <access token>"');
    const key = storedIdOf(secrets, value);
    const known = viewers.recall(key);
    if (known) {
      if (known.personal) await personalAccessTokens.touch(known.personal);
      return known.viewer;
    }
    const generation = viewers.generation;
    const token = await provider.AccessToken.find(value).catch(() => undefined);
    // A token bound to another resource server (aud) is not for this API.
    if (!token || token.isExpired || !token.accountId || !token.clientId || token.aud !== undefined) {
      throw invalidToken('The access token is invalid, expired or revoked');
    }
    const [client, user, session, personal] = await Promise.all([
      provider.Client.find(token.clientId).catch(() => undefined),
      users.findActiveViewer(token.accountId),
      // A token from a browser sign-in without offline_access lives only as long as that session (as at userinfo).
      token.expiresWithSession && token.sessionUid ? provider.Session.findByUid(token.sessionUid) : undefined,
      token.gty === PERSONAL_ACCESS_GTY ? personalAccessTokens.usable(value) : undefined,
    ]);
    if (!client || !user) throw invalidToken('The access token is invalid, expired or revoked');
    if (token.expiresWithSession && (!session || session.accountId !== token.accountId || session.grantIdFor(token.clientId) !== token.grantId)) {
      throw invalidToken('The access token is invalid, expired or revoked');
    }
    if (token.gty === PERSONAL_ACCESS_GTY) {
      if (!personal) throw invalidToken('The access token is invalid, expired or revoked');
      await personalAccessTokens.touch(personal);
    }
    const { grantedPermissions: _granted, ...record } = user;
    const viewer = { user: record, permissions: accessControl.effectivePermissions(user) };
    // A token bound to a browser session rests on that session too, which is not announced: never kept.
    if (!token.expiresWithSession && token.exp !== undefined) {
      viewers.remember(key, {
        viewer, clientId: token.clientId, expiresAt: token.exp * 1000, personal: personal ?? undefined,
      }, generation);
    }
    return viewer;
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
