// The sign-in and consent steps of the Authorization Code flow, as oidc-provider hands them over (its "interactions").
// Every POST carries a CSRF token bound to the interaction; every page is uncacheable, unframeable and script-free.
import type { MikroORM } from '@mikro-orm/postgresql';
import express, { type Request, type Response, type Router } from 'express';
import type Provider from 'oidc-provider';
import { countSignInFailure, countThrottledAttempt } from '../../operations/metrics.js';
import { isDatabaseUnavailable } from '../../shared/db-errors.js';
import { RETRY_AFTER_SECONDS } from '../../shared/errors.js';
import { describeError, type Logger } from '../../shared/logger.js';
import type { Secrets } from '../../shared/secrets.js';
import { TooManyAttempts } from '../../users/password-attempts.js';
import type { UserRecord, UserService } from '../../users/user.service.js';
import type { ProviderRef } from '../provider.js';
import { isKnownScope } from '../../access-control/scopes.js';
import { OidcConsent } from '../consent.entity.js';
import { formTargets, pageHeaders } from './headers.js';
import {
  consentPage, errorPage, loginPage, STYLESHEET, STYLESHEET_PATH, type LoginPage,
} from './pages.js';

export interface InteractionDeps {
  providers: ProviderRef;
  orm: MikroORM;
  secrets: Secrets;
  users: UserService;
  logger: Logger;
}

function send(res: Response, status: number, html: string, targets?: string[]): void {
  res.status(status).set(pageHeaders(targets)).type('html').send(html);
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

interface ConsentPrompt {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

/**
 * The scopes the consent page lists, and exactly those that allowing it adds to the grant: so a remembered consent
 * covers only what the person saw, and a later request for more asks again. When nothing is missing (prompt=consent),
 * the page lists the known scopes requested, already allowed.
 */
function scopesAsked(details: Details): string[] {
  const { missingOIDCScope } = details.prompt.details as ConsentPrompt;
  if (missingOIDCScope?.length) return missingOIDCScope;
  const requested = typeof details.params.scope === 'string' ? details.params.scope.split(' ') : [];
  return requested.filter(isKnownScope);
}

/**
 * A form the body parser refused (too large, too many fields, unreadable): the sender's fault, answered with its 4xx
 * and a page, not logged as our error. body-parser marks these errors with a 4xx `status` and `expose`.
 */
function formRefusal(error: unknown): { status: number; title: string; message: string } | undefined {
  const { status, expose, type } = (error ?? {}) as { status?: unknown; expose?: unknown; type?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500 || expose !== true) return undefined;
  if (status === 413) {
    const what = type === 'parameters.too.many' ? 'has too many fields' : 'is too large';
    return { status, title: 'The form sent was too large', message: `The form ${what}. Go back, reload the page and try again.` };
  }
  return { status, title: 'The form could not be read', message: 'Go back, reload the page and try again.' };
}

export function createInteractionRouter({
  providers, orm, secrets, users, logger,
}: InteractionDeps): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '10kb', parameterLimit: 20 });
  const csrfFor = (uid: string) => secrets.hash('csrf', `interaction:${uid}`);

  /** The interaction named by the URL and bound to this browser's cookie, or an error page already sent. */
  async function interaction(req: Request, res: Response, post: boolean): Promise<Details | undefined> {
    let details: Details;
    try {
      details = await providers.current.interactionDetails(req, res);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      send(res, 400, errorPage('This sign-in has expired', 'Go back to the application and start signing in again.'));
      return undefined;
    }
    if (details.uid !== req.params.uid) {
      send(res, 400, errorPage('This sign-in has expired', 'Go back to the application and start signing in again.'));
      return undefined;
    }
    if (post) {
      const presented = (req.body as Record<string, unknown> | undefined)?.csrf;
      if (typeof presented !== 'string' || !secrets.verify('csrf', `interaction:${details.uid}`, presented)) {
        send(res, 403, errorPage('Request refused', 'The form was not sent from this page. Reload the page and try again.'));
        return undefined;
      }
    }
    return details;
  }

  const clientName = async (clientId: unknown) => {
    const client = typeof clientId === 'string' ? await providers.current.Client.find(clientId) : undefined;
    return client?.clientName ?? 'the application';
  };
  const targetsOf = (details: Details) => formTargets(details.params.redirect_uri as string | undefined);
  const base = (uid: string) => `/oidc/interaction/${encodeURIComponent(uid)}`;

  function renderLogin(res: Response, details: Details, name: string, login?: string, refusal?: LoginPage['refusal']): void {
    send(res, refusal === 'too-many-attempts' ? 429 : refusal ? 401 : 200, loginPage({
      action: `${base(details.uid)}/login`,
      abortAction: `${base(details.uid)}/abort`,
      csrf: csrfFor(details.uid),
      clientName: name,
      login: login ?? (typeof details.params.login_hint === 'string' ? details.params.login_hint : ''),
      refusal,
    }), targetsOf(details));
  }

  router.get(STYLESHEET_PATH, (_req, res) => {
    res.set({ 'Cache-Control': 'public, max-age=3600', 'X-Content-Type-Options': 'nosniff' }).type('css').send(STYLESHEET);
  });

  router.get('/oidc/interaction/:uid', async (req, res) => {
    const details = await interaction(req, res, false);
    if (!details) return;
    const name = await clientName(details.params.client_id);
    if (details.prompt.name === 'login') {
      renderLogin(res, details, name);
      return;
    }
    if (details.prompt.name === 'consent') {
      const accountId = details.session?.accountId;
      const user = accountId ? await users.findActive(accountId) : null;
      if (!user) {
        send(res, 400, errorPage('This sign-in has expired', 'Go back to the application and start signing in again.'));
        return;
      }
      send(res, 200, consentPage({
        action: `${base(details.uid)}/consent`, csrf: csrfFor(details.uid), clientName: name, username: user.username, scopes: scopesAsked(details),
      }), targetsOf(details));
      return;
    }
    send(res, 400, errorPage('Cannot continue', 'This step of signing in is not supported.'));
  });

  router.post('/oidc/interaction/:uid/login', form, async (req, res) => {
    const details = await interaction(req, res, true);
    if (!details) return;
    if (details.prompt.name !== 'login') {
      send(res, 400, errorPage('Cannot continue', 'You are already signed in. Go back and try again.'));
      return;
    }
    const body = req.body as Record<string, unknown>;
    const login = typeof body.login === 'string' ? body.login : '';
    const password = typeof body.password === 'string' ? body.password : '';
    let user: UserRecord | null;
    try {
      user = login && password ? await users.authenticate(login, password, req.ip ?? req.socket.remoteAddress ?? '') : null;
    } catch (error) {
      if (!(error instanceof TooManyAttempts)) throw error;
      countThrottledAttempt('sign_in_page');
      // One page for both limits, for a user who exists or not.
      res.set('Retry-After', String(error.retryAfterSeconds));
      renderLogin(res, details, await clientName(details.params.client_id), login, 'too-many-attempts');
      return;
    }
    if (!user) {
      countSignInFailure('sign_in_page');
      renderLogin(res, details, await clientName(details.params.client_id), login, 'wrong-credentials');
      return;
    }
    await users.recordSignIn(user.id);
    await providers.current.interactionFinished(req, res, { login: { accountId: user.id, amr: ['pwd'] } }, { mergeWithLastSubmission: false });
  });

  router.post('/oidc/interaction/:uid/consent', form, async (req, res) => {
    const details = await interaction(req, res, true);
    if (!details) return;
    if (details.prompt.name !== 'consent' || !details.session) {
      send(res, 400, errorPage('Cannot continue', 'This sign-in has moved on. Go back and try again.'));
      return;
    }
    if ((req.body as Record<string, unknown>).decision !== 'allow') {
      await providers.current.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user denied the request' }, { mergeWithLastSubmission: false });
      return;
    }
    const { accountId } = details.session;
    const clientId = details.params.client_id as string;
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details as ConsentPrompt;
    const grant = (details.grantId ? await providers.current.Grant.find(details.grantId) : undefined)
      ?? new providers.current.Grant({ accountId, clientId });
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    // Remembered per user and client, so a later sign-in in another browser skips this page too.
    await orm.em.fork().upsert(OidcConsent, { user: accountId, client: clientId, grantId });
    await providers.current.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  });

  router.post('/oidc/interaction/:uid/abort', form, async (req, res) => {
    const details = await interaction(req, res, true);
    if (!details) return;
    await providers.current.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user cancelled signing in' }, { mergeWithLastSubmission: false });
  });

  // Anything that goes wrong in here (Express 5 routes rejected promises here too) is shown as a page, never a stack.
  router.use('/oidc/interaction', (error: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    if (isDatabaseUnavailable(error)) {
      res.set('Retry-After', String(RETRY_AFTER_SECONDS));
      send(res, 503, errorPage('Try again in a moment', 'Signing in is unavailable just now. Wait a moment, then reload this page.'));
      return;
    }
    const refused = formRefusal(error);
    if (refused) {
      send(res, refused.status, errorPage(refused.title, refused.message));
      return;
    }
    logger.error('Interaction failed', describeError(error));
    send(res, 500, errorPage('Something went wrong', 'Signing in failed on our side. Go back to the application and try again.'));
  });

  return router;
}
