// The GraphQL playground at GET /graphql: GraphiQL, bundled and served by the service, signed in through the console's
// own Authorization Code + PKCE flow (the Admin Console client, redirect /graphql/callback), sending the access token
// as a bearer on every request, the schema introspection included.
import './monaco-environment';
import { GraphiQL } from 'graphiql';
import {
  StrictMode, useCallback, useEffect, useMemo, useState,
} from 'react';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import './playground.css';
import {
  accessToken, completeSignIn, loadConfig, signIn, signOut, type SignInConfig,
} from '../../console/web/sign-in';

/** What GraphiQL calls (its Fetcher type, from @graphiql/toolkit): one request, one JSON answer. */
type FetcherResult = { data?: unknown; errors?: Array<{ message: string }> };
type Fetcher = (params: { query: string; operationName?: string | null; variables?: unknown }, options?: { headers?: Record<string, unknown> }) => Promise<FetcherResult>;

/** What the server wrote into the page (playground/routes.ts), from PUBLIC_URL. */
const { dataset } = document.getElementById('root')!;
const CONFIG_URL = dataset.configUrl!;
const PLAYGROUND_URL = dataset.playgroundUrl!;
/** Where the provider sends the browser back: this page's own callback, registered on the Admin Console client. */
const CALLBACK_URL = dataset.callbackUrl!;
const CONSOLE_URL = dataset.consoleUrl!;
// Where anonymous introspection is refused (production), GraphiQL asks for the schema only once signed in.
const SCHEMA_FOR_ANONYMOUS = dataset.schemaForAnonymous === 'true';
// Set once signed in, cleared on sign-out: a reload then signs in again silently (prompt=none) through the provider's
// session. The token itself stays in memory only.
const SIGNED_IN_HINT = 'playground.signed-in';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Plain POST of JSON to the API, with the signed-in user's access token as a bearer (read at each request: it is
 * forgotten once expired) unless the headers editor names its own Authorization.
 */
function createFetcher(url: string, signedIn: boolean): Fetcher {
  return async (params, options) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
    const token = signedIn ? accessToken() : undefined;
    if (signedIn && !token) return { errors: [{ message: 'Your sign-in has expired: reload the page to sign in again.' }] };
    if (token) headers.authorization = `Bearer ${token}`;
    for (const [name, value] of Object.entries(options?.headers ?? {})) headers[name.toLowerCase()] = String(value);
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(params) });
    const text = await response.text();
    try {
      return JSON.parse(text) as FetcherResult;
    } catch {
      return { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 200)}` }] };
    }
  };
}

type Session =
  | { state: 'anonymous'; problem?: string }
  | { state: 'signed-in'; username: string | undefined };

async function viewerName(url: string): Promise<string | undefined> {
  const result = await createFetcher(url, true)({ query: '{ viewer { username } }' }) as { data?: { viewer?: { username?: string } | null } };
  return result.data?.viewer?.username;
}

/** Finishes a return to the callback URL, or signs in again silently after a reload; never loops. */
async function startSession(config: SignInConfig): Promise<Session | 'redirecting'> {
  let problem: string | undefined;
  if (window.location.pathname === new URL(CALLBACK_URL).pathname) {
    const result = await completeSignIn();
    // Signed out (back from the provider's sign-out, or prompt=none found no session) or failed: anonymous.
    if (result.status !== 'signed-in') sessionStorage.removeItem(SIGNED_IN_HINT);
    if (result.status === 'failed') problem = result.message;
    window.history.replaceState(null, '', new URL(PLAYGROUND_URL).pathname);
  } else if (sessionStorage.getItem(SIGNED_IN_HINT) && !accessToken()) {
    // Removed first: should the provider not answer with a session, the next load stays anonymous.
    sessionStorage.removeItem(SIGNED_IN_HINT);
    void signIn({ silent: true, redirectUri: CALLBACK_URL, returnTo: new URL(PLAYGROUND_URL).pathname });
    return 'redirecting';
  }
  if (!accessToken()) return { state: 'anonymous', problem };
  sessionStorage.setItem(SIGNED_IN_HINT, '1');
  return { state: 'signed-in', username: await viewerName(config.graphqlUrl) };
}

function Playground({ config }: { config: SignInConfig }) {
  const [session, setSession] = useState<Session | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    startSession(config).then((started) => {
      if (started === 'redirecting') return;
      setSession(started);
      if (started.state === 'anonymous' && started.problem) setProblem(started.problem);
    }, (error: unknown) => {
      setProblem(messageOf(error));
      setSession({ state: 'anonymous' });
    });
  }, [config]);

  const onSignIn = useCallback(() => {
    setBusy(true);
    signIn({ redirectUri: CALLBACK_URL, returnTo: new URL(PLAYGROUND_URL).pathname }).catch((error: unknown) => {
      setBusy(false);
      setProblem(messageOf(error));
    });
  }, []);
  const onSignOut = useCallback(() => {
    setBusy(true);
    sessionStorage.removeItem(SIGNED_IN_HINT);
    signOut({ redirectUri: CALLBACK_URL }).catch((error: unknown) => {
      setBusy(false);
      setProblem(messageOf(error));
    });
  }, []);

  const signedIn = session?.state === 'signed-in';
  // One fetcher per sign-in state: GraphiQL introspects again when it changes.
  const fetcher = useMemo(() => createFetcher(config.graphqlUrl, signedIn), [config, signedIn]);

  if (!session) return <p className="playground-status" role="status">Loading the playground…</p>;
  return (
    <div className="playground">
      <header className="playground-bar">
        <h1>GraphQL playground</h1>
        {problem && <p role="alert" className="playground-problem">{problem}</p>}
        {session.state === 'signed-in'
          ? (
            <>
              <span className="playground-who">Signed in{session.username ? ` as ${session.username}` : ''}</span>
              <button type="button" onClick={onSignOut} disabled={busy} aria-busy={busy}>{busy ? 'Signing out…' : 'Sign out'}</button>
            </>
          )
          : (
            <>
              <span className="playground-who">{SCHEMA_FOR_ANONYMOUS ? 'Not signed in: requests are anonymous' : 'Not signed in: sign in to see the docs and run queries as yourself'}</span>
              <button type="button" onClick={onSignIn} disabled={busy} aria-busy={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
            </>
          )}
        <a href={CONSOLE_URL}>Console</a>
      </header>
      <main className="playground-ide">
        <GraphiQL
          key={session.state}
          fetcher={fetcher}
          defaultQuery={DEFAULT_QUERY}
          {...(signedIn || SCHEMA_FOR_ANONYMOUS ? {} : { schema: null })}
        />
      </main>
    </div>
  );
}

const DEFAULT_QUERY = `# Sign in to run queries as yourself; the token is sent as "Authorization: Bearer".
{
  viewer {
    username
    effectivePermissions
  }
}
`;

function App() {
  const [config, setConfig] = useState<SignInConfig | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    // The console's settings: the same provider, client and API; GraphiQL has its own callback URL.
    loadConfig(CONFIG_URL).then(setConfig, (error: unknown) => setProblem(`The playground's settings could not be loaded: ${messageOf(error)}`));
  }, []);
  if (problem) return <p role="alert" className="playground-status">{problem}</p>;
  if (!config) return <p className="playground-status" role="status">Loading the playground…</p>;
  return <Playground config={config} />;
}

createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);
