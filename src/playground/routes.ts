// GraphiQL at GET /graphql for browsers (Accept: text/html), its sign-in callback and its bundled assets; every other
// request to /graphql goes on to Apollo unchanged.
import express from 'express';
import { WEB_APP_CSP, webAppHeaders, webRoot } from '../console/routes.js';

const PLAYGROUND_PATH = '/graphql';
const PLAYGROUND_CALLBACK_PATH = '/graphql/callback';
const ASSETS_PATH = '/graphql/assets';

// Apollo's own test for its landing page (ApolloServer.prefersHTML): a GET whose Accept prefers HTML over every
// GraphQL answer type. A GET of a query from a script (Accept: application/json, */* or none) still reaches Apollo.
const NEGOTIATED = ['application/json', 'application/graphql-response+json', 'multipart/mixed', 'text/html'];
const prefersHtml = (req: express.Request) => Boolean(req.headers.accept) && req.accepts(NEGOTIATED) === 'text/html';

/**
 * The console's policy (script only from here, no inline script, never framed), with style-src relaxed for Monaco,
 * GraphiQL's editor, which writes its theme and token colours into <style> elements it creates at run time.
 */
export const PLAYGROUND_CSP = WEB_APP_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * The page: the bundle and what it needs to know, as data attributes (no inline script). URLs follow PUBLIC_URL,
 * path included, for a proxy that serves the service under a path.
 */
function renderPage(publicUrl: string, schemaForAnonymous: boolean): string {
  const base = new URL(publicUrl).pathname.replace(/\/$/, '');
  const assets = `${base}${ASSETS_PATH}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphQL playground · Auth Clients</title>
<link rel="stylesheet" href="${assets}/main.css">
<script type="module" src="${assets}/main.js"></script>
</head>
<body>
<div id="root" data-assets-url="${escapeAttribute(`${assets}/`)}" data-config-url="${escapeAttribute(`${publicUrl}/console/config.json`)}" data-playground-url="${escapeAttribute(`${publicUrl}${PLAYGROUND_PATH}`)}" data-callback-url="${escapeAttribute(`${publicUrl}${PLAYGROUND_CALLBACK_PATH}`)}" data-console-url="${escapeAttribute(`${publicUrl}/console`)}" data-schema-for-anonymous="${schemaForAnonymous}"></div>
<noscript><p>The GraphQL playground needs JavaScript. The API itself answers POST requests at this address.</p></noscript>
</body>
</html>
`;
}

function sendPage(res: express.Response, page: string): void {
  // The console's headers (no framing, no referrer: the callback URL carries the authorization code), then our CSP.
  webAppHeaders(res);
  res.set({ 'Content-Security-Policy': PLAYGROUND_CSP, 'Cache-Control': 'no-cache', Vary: 'Accept' }).type('html').send(page);
}

/**
 * Mount before Apollo's middleware at /graphql, which would otherwise take /graphql/* as GraphQL requests.
 * `schemaForAnonymous`: false where anonymous introspection is refused (production), so GraphiQL waits for sign-in.
 */
export function createPlaygroundRouter(publicUrl: string, schemaForAnonymous: boolean): express.Router {
  const router = express.Router();
  // Only reads are ours. Leaving the router before any route matches also keeps Express from answering an OPTIONS
  // /graphql itself (with its Allow list), which would swallow the CORS preflight that /graphql answers.
  router.use((req, _res, next) => next(req.method === 'GET' || req.method === 'HEAD' ? undefined : 'router'));
  const page = renderPage(publicUrl, schemaForAnonymous);
  const dir = `${webRoot()}playground/assets/`;
  router.get(PLAYGROUND_PATH, (req, res, next) => {
    if (prefersHtml(req)) sendPage(res, page);
    else next();
  });
  router.get(PLAYGROUND_CALLBACK_PATH, (_req, res) => sendPage(res, page));
  router.use(ASSETS_PATH, express.static(dir, {
    index: false,
    fallthrough: false,
    setHeaders(res, path) {
      // Chunks are named by their content; the entries and workers keep their names, so they are checked each time.
      res.set('Cache-Control', /\/chunks\/|-[A-Z0-9]{8}\.\w+$/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      res.set('X-Content-Type-Options', 'nosniff');
    },
  }), (error: { status?: number }, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (error.status === 404) res.status(404).json({ error: 'not_found' });
    else next(error);
  });
  return router;
}
