// Sign-in for the browser apps (console, GraphiQL): Authorization Code + PKCE against our own provider, with the
// tokens in this module's memory only. The PKCE verifier, state and nonce sit in sessionStorage for the round trip.

export interface SignInConfig {
  issuer: string;
  clientId: string;
  graphqlUrl: string;
  scope: string;
  redirectUri: string;
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
}

interface Pending {
  state: string;
  verifier: string;
  nonce: string;
  redirectUri: string;
  /** Where to go back to after the round trip: a path of this app. */
  returnTo: string;
  silent: boolean;
}

interface Tokens {
  accessToken: string;
  idToken?: string;
  /** ms since the epoch, with a margin. */
  expiresAt: number;
}

/** What arriving at the callback URL meant. */
export type SignInResult =
  | { status: 'signed-in'; returnTo: string }
  /** prompt=none found no session (login_required and the like): ask the person to sign in. */
  | { status: 'signed-out'; returnTo: string; silent: boolean }
  | { status: 'failed'; returnTo: string; message: string };

const PENDING_KEY = 'auth-clients.sign-in';
const EXPIRY_MARGIN_MS = 30_000;

let config: SignInConfig | undefined;
let discovery: Promise<Discovery> | undefined;
let tokens: Tokens | undefined;

/** Loads the app's config.json (same folder as the app); call once before the rest. */
export async function loadConfig(url: string): Promise<SignInConfig> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`could not load ${url} (${response.status})`);
  config = await response.json() as SignInConfig;
  return config;
}

function current(): SignInConfig {
  if (!config) throw new Error('loadConfig() first');
  return config;
}

function metadata(): Promise<Discovery> {
  discovery ??= fetch(`${current().issuer}/.well-known/openid-configuration`).then(async (response) => {
    if (!response.ok) throw new Error(`the provider's discovery document answered ${response.status}`);
    return await response.json() as Discovery;
  });
  discovery.catch(() => { discovery = undefined; });
  return discovery;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const randomValue = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

async function challengeOf(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/**
 * Sends the browser to the provider. `silent`: prompt=none, so a person with a provider session comes straight back
 * signed in and one without comes back with login_required. `returnTo`: the app path to show afterwards.
 */
export async function signIn({ silent = false, redirectUri, returnTo }: { silent?: boolean; redirectUri?: string; returnTo?: string } = {}): Promise<never> {
  const { authorization_endpoint: endpoint } = await metadata();
  const pending: Pending = {
    state: randomValue(),
    verifier: randomValue(),
    nonce: randomValue(),
    redirectUri: redirectUri ?? current().redirectUri,
    returnTo: returnTo ?? `${location.pathname}${location.search}${location.hash}`,
    silent,
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(endpoint);
  url.search = new URLSearchParams({
    client_id: current().clientId,
    response_type: 'code',
    redirect_uri: pending.redirectUri,
    scope: current().scope,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await challengeOf(pending.verifier),
    code_challenge_method: 'S256',
    ...(silent ? { prompt: 'none' } : {}),
  }).toString();
  location.assign(url.href);
  // The page is going away.
  return new Promise<never>(() => {});
}

function takePending(): Pending | undefined {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Pending;
  } catch {
    return undefined;
  }
}

function claimsOf(idToken: string): Record<string, unknown> {
  const payload = idToken.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
}

/**
 * At the callback URL: exchanges the code for tokens (kept in memory), or reports why there are none. Arriving with
 * neither `code` nor `error` is the way back from signing out. Removes the query from the address bar either way.
 */
export async function completeSignIn(href: string = location.href): Promise<SignInResult> {
  const url = new URL(href);
  const params = url.searchParams;
  const pending = takePending();
  const returnTo = pending?.returnTo ?? '';
  history.replaceState(null, '', url.pathname);
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return { status: 'signed-out', returnTo, silent: false };
  if (!pending || params.get('state') !== pending.state) {
    return { status: 'failed', returnTo, message: 'The sign-in answer did not match a sign-in started here. Please sign in again.' };
  }
  if (error) {
    // What prompt=none answers without a usable session (OpenID Connect Core 3.1.2.6).
    if (['login_required', 'interaction_required', 'consent_required', 'account_selection_required'].includes(error)) {
      return { status: 'signed-out', returnTo, silent: pending.silent };
    }
    return { status: 'failed', returnTo, message: params.get('error_description') ?? error };
  }
  const { token_endpoint: endpoint } = await metadata();
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: current().clientId,
      code: code!,
      redirect_uri: pending.redirectUri,
      code_verifier: pending.verifier,
    }),
  });
  const body = await response.json().catch(() => ({})) as Record<string, unknown>;
  if (!response.ok || typeof body.access_token !== 'string') {
    return { status: 'failed', returnTo, message: [body.error_description, body.error].find((text): text is string => typeof text === 'string') ?? `the token endpoint answered ${response.status}` };
  }
  // The ID token came straight from the token endpoint over this origin's connection, so its signature need not be
  // checked here (OpenID Connect Core 3.1.3.7); its nonce ties it to this round trip.
  const idToken = typeof body.id_token === 'string' ? body.id_token : undefined;
  if (idToken && claimsOf(idToken).nonce !== pending.nonce) {
    return { status: 'failed', returnTo, message: 'The sign-in answer was not for this page. Please sign in again.' };
  }
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 300;
  tokens = { accessToken: body.access_token, idToken, expiresAt: Date.now() + expiresIn * 1000 - EXPIRY_MARGIN_MS };
  return { status: 'signed-in', returnTo };
}

/** The access token while it is good; undefined before sign-in or once it has (nearly) expired. */
export function accessToken(): string | undefined {
  if (!tokens || Date.now() >= tokens.expiresAt) return undefined;
  return tokens.accessToken;
}

/** Forgets the tokens and ends the provider session (RP-initiated logout), coming back to `redirectUri`. */
export async function signOut({ redirectUri }: { redirectUri?: string } = {}): Promise<never> {
  const idToken = tokens?.idToken;
  tokens = undefined;
  const { end_session_endpoint: endpoint } = await metadata();
  if (!endpoint) throw new Error('the provider has no end_session_endpoint');
  const url = new URL(endpoint);
  url.search = new URLSearchParams({
    client_id: current().clientId,
    post_logout_redirect_uri: redirectUri ?? current().redirectUri,
    ...(idToken ? { id_token_hint: idToken } : {}),
  }).toString();
  location.assign(url.href);
  return new Promise<never>(() => {});
}
