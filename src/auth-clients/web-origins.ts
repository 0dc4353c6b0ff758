// CORS for browser apps: which origins may call /graphql and the token, userinfo and revocation endpoints (the one
// rule both use), and the /graphql side of it. The origins are those of enabled public clients' web redirect URIs (as
// Keycloak's "Web origins: +"), CORS_ORIGINS, and PUBLIC_URL's own; kept in memory and forgotten on any change to
// auth_clients announced by the change feed, so every instance follows a change at once.
import type { NextFunction, Request, Response } from 'express';
import { ChangeCache } from '../db/change-cache.js';
import type { ChangeFeed } from '../db/change-feed.js';
import type { Sql } from '../db/sql.js';

/**
 * How long a browser may reuse a preflight's answer, in seconds: oidc-provider's own for its endpoints. Short enough
 * that a client disabled or deleted stops being preflighted within the hour (its actual requests stop at once).
 */
export const CORS_MAX_AGE = 3600;

const webOrigin = (uri: string): string | undefined => {
  const url = URL.parse(uri);
  return url && (url.protocol === 'https:' || url.protocol === 'http:') ? url.origin : undefined;
};

export class WebOrigins {
  readonly #fixed: ReadonlySet<string>;
  readonly #fromClients: ChangeCache<ReadonlySet<string>>;

  constructor(sql: Sql, changes: ChangeFeed, options: { publicUrl: string; corsOrigins: readonly string[] }) {
    this.#fixed = new Set([new URL(options.publicUrl).origin, ...options.corsOrigins]);
    // One entry for the whole table: any change to a client may add or remove an origin.
    this.#fromClients = new ChangeCache<ReadonlySet<string>>(changes, 'auth_clients', async () => {
      const rows = await sql.rows<{ uri: string }>(
        'select distinct unnest(redirect_uris) as uri from auth_clients where not confidential and enabled',
        [],
        { prepare: true },
      );
      return new Set(rows.map((row) => webOrigin(row.uri)).filter((origin) => origin !== undefined));
    }, { byRow: false, maxEntries: 1 });
  }

  /** Whether a browser page at `origin` (the request's Origin header) may read the answers. */
  async allows(origin: string): Promise<boolean> {
    if (this.#fixed.has(origin)) return true;
    return (await this.#fromClients.get('all'))!.has(origin);
  }
}

/**
 * CORS for /graphql. An allowed origin gets its own origin back (never `*`) and no Access-Control-Allow-Credentials:
 * the API takes bearer tokens, not cookies, so a browser needs no credentials mode. Anyone else gets no CORS headers
 * (a preflight is answered 403): the request itself is served as any other, and the page cannot read the answer.
 */
export function graphqlCors(origins: WebOrigins) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    res.vary('Origin');
    const { origin } = req.headers;
    if (origin === undefined) {
      next();
      return;
    }
    let allowed: boolean;
    try {
      allowed = await origins.allows(origin);
    } catch (error) {
      next(error); // the database out of reach: answered as a 503 by the app's error handler
      return;
    }
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (!allowed) {
      if (preflight) res.status(403).end();
      else next();
      return;
    }
    res.set('Access-Control-Allow-Origin', origin);
    if (!preflight) {
      // A 401 explains itself in WWW-Authenticate (RFC 6750 §3), which a page can read only if exposed.
      res.set('Access-Control-Expose-Headers', 'WWW-Authenticate');
      next();
      return;
    }
    res.set({
      'Access-Control-Allow-Methods': 'GET, POST',
      'Access-Control-Max-Age': String(CORS_MAX_AGE),
    });
    const requested = req.headers['access-control-request-headers'];
    if (requested) res.set('Access-Control-Allow-Headers', requested);
    res.status(204).end();
  };
}
