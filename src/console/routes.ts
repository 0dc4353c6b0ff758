// Serves the admin console: its built assets (dist/web/console, scripts/build-web.mjs), its config.json, and its
// index.html for /console and every client-side route under it, all under a strict Content Security Policy.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Config } from '../config.js';

/** dist/web/, wherever this module runs from: the TypeScript source (tests), dist/src/, or the bundle's chunks. */
export function webRoot(here: string = import.meta.url): string {
  if (here.endsWith('.ts')) return fileURLToPath(new URL('../../dist/web/', here));
  const path = fileURLToPath(here);
  return `${path.slice(0, path.lastIndexOf('/dist/'))}/dist/web/`;
}

/**
 * The console's policy, also GraphiQL's: everything from here only, no inline script or style attribute, no framing.
 * `connect-src 'self'`: the provider and /graphql are on this origin (PUBLIC_URL).
 */
export const WEB_APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every response of a browser app. */
export function webAppHeaders(res: express.Response): void {
  res.set({
    'Content-Security-Policy': WEB_APP_CSP,
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
  });
}

/** What the browser app needs to sign in: GET <app>/config.json. */
export interface WebAppConfig {
  issuer: string;
  clientId: string;
  graphqlUrl: string;
  scope: string;
  redirectUri: string;
}

/**
 * Serves one built browser app at `mountPath` (e.g. /console): hashed assets under assets/ (cached for good),
 * index.html (never cached) for the path itself and any path under it that is not a file, so client routes reload.
 */
export function webAppRouter(name: string, mountPath: string, publicUrl: string): express.Router {
  const router = express.Router();
  const dir = `${webRoot()}${name}/`;
  // The page's URLs follow PUBLIC_URL's path, for a proxy that serves the service under one.
  const base = `${new URL(publicUrl).pathname.replace(/\/$/, '')}${mountPath}/assets/`;
  // Read per request (a few hundred bytes): a rebuild while running is picked up, never a page naming gone files.
  const index = async (_req: express.Request, res: express.Response) => {
    let html: string;
    try {
      html = (await readFile(`${dir}index.html`, 'utf8')).replaceAll('%BASE%', base);
    } catch {
      res.status(503).type('text/plain').send(`The ${name} is not built: run npm run build.`);
      return;
    }
    res.set('Cache-Control', 'no-cache').type('html').send(html);
  };
  router.use((_req, res, next) => {
    webAppHeaders(res);
    next();
  });
  router.use('/assets', express.static(`${dir}assets`, {
    index: false,
    fallthrough: false,
    immutable: true,
    maxAge: '365d',
    dotfiles: 'deny',
  }));
  router.get(/.*/, index);
  return router;
}

export interface ConsoleOptions {
  config: Config;
  /** The Admin Console client's id (src/auth-clients/admin-console.ts). */
  clientId: () => string;
  scope: string;
  redirectUri: string;
}

/** /console (and / redirecting there). */
export function consoleRoutes({
  config, clientId, scope, redirectUri,
}: ConsoleOptions): express.Router {
  const router = express.Router();
  router.get('/', (_req, res) => {
    res.redirect(302, `${config.publicUrl}/console`);
  });
  router.get('/console/config.json', (_req, res) => {
    webAppHeaders(res);
    const body: WebAppConfig = {
      issuer: config.issuer,
      clientId: clientId(),
      graphqlUrl: `${config.publicUrl}/graphql`,
      scope,
      redirectUri,
    };
    res.set('Cache-Control', 'no-cache').json(body);
  });
  router.use('/console', webAppRouter('console', '/console', config.publicUrl));
  return router;
}
