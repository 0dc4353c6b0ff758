// Per-request GraphQL context: a fresh EntityManager, the viewer named by the access token, if any, and where the
// request came from (for the audit log).
import type { IncomingMessage } from 'node:http';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { GraphQLError, Kind, type OperationDefinitionNode } from 'graphql';
import type { AccessControlService, Caller } from '../access-control/access-control.service.js';
import type { AuditActor, AuditRequest, AuditSource } from '../audit/audit-log.service.js';
import { isDatabaseUnavailable } from '../shared/db-errors.js';
import { NotAuthenticated } from '../shared/errors.js';
import type { UserRecord } from '../users/user.service.js';
import type { ProviderRef } from '../oidc/provider.js';
import type { TokenCheck } from '../oidc/token-check.js';
import { checkSenderConstraint, dpopRefusal, type AuthScheme } from './dpop.js';
import { serviceUnavailable } from './format-error.js';

export interface Viewer {
  /** The signed-in user; null when an auth client acts as itself (a client-credentials token, see `client`). */
  user: UserRecord | null;
  /** The auth client acting as itself, for a client-credentials token only. */
  client?: { id: string };
  /**
   * Effective permission names: the user's, or the ones granted to the client acting as itself. Kept from an earlier
   * request only until any grant of permissions changes.
   */
  permissions: ReadonlySet<string>;
  /** The scopes of the token the request came with: what it may use of those permissions. */
  scopes: ReadonlySet<string>;
  /** The browser session the token was issued in, if any (a password change keeps it). */
  sessionUid?: string;
}

export interface Context {
  readonly em: EntityManager;
  /**
   * Null only when the request carried no token at all. Known from execution on: the token is looked up only once the
   * operation has passed the limits (identifyViewer, called by graphql/limits.ts).
   */
  viewer: Viewer | null;
  /** The request came with an Authorization header: not an anonymous caller, unless its token fails. */
  readonly hasCredentials: boolean;
  /** Looks the token up, once; the viewer, or a refusal (401) for a bad token. */
  readonly lookUpViewer: () => Promise<Viewer | null>;
  /** The caller's IP (as Express computes it, honouring TRUST_PROXY) and User-Agent. */
  readonly request: AuditRequest;
  /**
   * By a root mutation field's response key: when this instance will have heard the changes that field made
   * (ChangeFeed.expect). A mutation whose every root field is here waits for these before answering, instead of the
   * change feed's sync marker (changesHeardBy, app.ts).
   */
  readonly changesHeard: Map<string, Promise<void>>;
}

/**
 * What a mutation waits for before answering so that its caller's next request sees its changes: the changes heard
 * by each of its root fields (`__typename` changes nothing), or undefined unless every root field said when, for
 * which the change feed's sync() answers instead. Fragments at the root are not looked into: sync() for those.
 */
export function changesHeardBy(operation: OperationDefinitionNode, context: Pick<Context, 'changesHeard'>): Promise<unknown> | undefined {
  if (context.changesHeard.size === 0) return undefined;
  const waits: Array<Promise<void>> = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) return undefined;
    if (selection.name.value === '__typename') continue;
    const heard = context.changesHeard.get(selection.alias?.value ?? selection.name.value);
    if (!heard) return undefined;
    waits.push(heard);
  }
  return Promise.all(waits);
}

/**
 * Who is acting in this request, for the audit log: the signed-in user, or for a client-credentials token (which acts
 * as its client and has no user) the client.
 */
export function auditActorOf({ viewer }: Pick<Context, 'viewer'>): AuditActor {
  // The rules let no anonymous call reach a change; this keeps types honest.
  if (!viewer) throw new NotAuthenticated();
  if (viewer.user) return { type: 'user', id: viewer.user.id };
  if (viewer.client) return { type: 'client', id: viewer.client.id };
  throw new NotAuthenticated();
}

/** What a service takes to record an audit event for a change made in this request. */
export function auditSourceOf(context: Pick<Context, 'viewer' | 'request'>): AuditSource {
  return { actor: auditActorOf(context), request: context.request };
}

/** Who asks for a change of people or permissions (access-control.service.ts): the viewer, as the rules let them in. */
export function callerOf({ viewer }: Pick<Context, 'viewer'>): Caller {
  if (!viewer) throw new NotAuthenticated();
  return { userId: viewer.user?.id ?? null, isSuperAdmin: viewer.user?.isSuperAdmin ?? false, permissions: viewer.permissions };
}

export interface ContextDeps {
  orm: MikroORM;
  providers: ProviderRef;
  accessControl: AccessControlService;
  tokenCheck: TokenCheck;
  /** PUBLIC_URL + /graphql: what a DPoP proof's htu must name. */
  graphqlUrl: string;
}

const AUTHORIZATION = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;

function invalidToken(message: string, scheme: AuthScheme = 'Bearer'): GraphQLError {
  if (scheme === 'DPoP') return dpopRefusal('invalid_token', message);
  return new GraphQLError(message, {
    extensions: {
      code: 'UNAUTHENTICATED',
      http: { status: 401, headers: new Map([['www-authenticate', 'Bearer error="invalid_token"']]) },
    },
  });
}

/**
 * One request's context. Apollo hands plugins and resolvers a copy of it (own properties copied onto an object of
 * the same prototype), so what is made on first use lives in closures the copies share, and `em` is a getter of the
 * class: a getter among the own properties would be called by every copy. One class for every request also keeps
 * the code reading contexts on one shape; a prototype object made per request cost ~20 µs of a request's time.
 */
class RequestContext implements Context {
  viewer: Viewer | null = null;

  readonly changesHeard = new Map<string, Promise<void>>();

  constructor(
    readonly hasCredentials: boolean,
    readonly lookUpViewer: () => Promise<Viewer | null>,
    readonly request: AuditRequest,
    private readonly forkEm: () => EntityManager,
  ) {}

  get em(): EntityManager {
    return this.forkEm();
  }
}

export function createContextFactory({
  orm, providers, accessControl, tokenCheck, graphqlUrl,
}: ContextDeps) {
  // The same check as introspection, userinfo and refresh (oidc/token-check.ts), remembered until what it rests on
  // changes. A token bound to another resource server (aud) is not for this API.
  async function viewerFor(req: IncomingMessage, header: string): Promise<Viewer> {
    const [, schemeName, value] = AUTHORIZATION.exec(header) ?? [];
    if (!schemeName || !value) throw invalidToken('The Authorization header must be "Bearer <access token>" or "DPoP <access token>"');
    const scheme: AuthScheme = schemeName.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const holder = await tokenCheck.accessToken(providers.current, value);
    if (!holder || holder.audience !== undefined) throw invalidToken('The access token is invalid, expired or revoked', scheme);
    // A DPoP-bound token (holder.jkt, remembered with the holder) needs a proof by its key, checked anew every time.
    await checkSenderConstraint(providers.current, {
      scheme, proof: req.headers.dpop, token: value, jkt: holder.jkt, method: req.method ?? '', url: graphqlUrl,
    });
    if (!holder.user) {
      return { user: null, client: { id: holder.clientId }, permissions: new Set(holder.client?.permissions), scopes: holder.scopes };
    }
    const { grantedPermissions: _granted, ...user } = holder.user;
    return {
      user, permissions: accessControl.effectivePermissions(holder.user), scopes: holder.scopes, sessionUid: holder.sessionUid,
    };
  }

  // Nothing here waits on the database: a request refused by the limits costs no token lookup.
  return ({ req }: { req: IncomingMessage & { ip?: string } }): Promise<Context> => {
    const header = req.headers.authorization;
    const request: AuditRequest = { ip: req.ip ?? req.socket.remoteAddress ?? null, userAgent: req.headers['user-agent'] ?? null };
    let lookup: Promise<Viewer | null> | undefined;
    let em: EntityManager | undefined;
    return Promise.resolve(new RequestContext(
      header !== undefined,
      () => {
        lookup ??= header === undefined ? Promise.resolve(null) : viewerFor(req, header).catch((error: unknown) => {
          // The token (or its DPoP proof) could not be looked up: it may well be good, so never UNAUTHENTICATED,
          // which would make a client throw it away.
          throw isDatabaseUnavailable(error) ? serviceUnavailable() : error;
        });
        return lookup;
      },
      request,
      // Forked on first use: most requests (lists, the viewer) read through plain SQL and need none.
      () => {
        em ??= orm.em.fork();
        return em;
      },
    ));
  };
}

/**
 * Sets the viewer from the request's token; before execution, after the limits. Apollo hands plugins and resolvers a
 * copy of the context object, so this sets it on the copy they share.
 */
export async function identifyViewer(context: Context): Promise<void> {
  context.viewer = await context.lookUpViewer();
}
