// The GraphQL playground at GET /graphql: GraphiQL, bundled and served by the service, signed in through the console's
// own Authorization Code + PKCE flow (the Admin Console client, redirect /graphql/callback), sending the access token
// as a bearer on every request, the schema introspection included.
import './monaco-environment.js';
import { GraphiQL } from 'graphiql';
import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import './playground.css';
import { accessToken, completeSignIn, signIn, signOut } from '../../console/web/sign-in.js';

type Fetcher = Parameters<typeof GraphiQL>[0]['fetcher'];

interface ConsoleConfig {
  issuer: string;
  clientId: string;
  graphqlUrl: string;
  scope: string;
  redirectUri: string;
}

/** Where the provider sends the browser back: this page's own callback, registered on the Admin Console client. */
const CALLBACK_PATH = '/graphql/callback';
// Set once signed in and cleared on sign-out: a reload then signs in again silently through the provider's session.
// The token itself stays in memory only.
const SIGNED_IN_HINT = 'playground.signed-in';

const callbackUri = () => new URL(CALLBACK_PATH, window.location.origin).href;

async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/console/config.json', { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`The playground's settings could not be loaded (HTTP ${response.status}).`);
  return await response.json() as ConsoleConfig;
}

/** Plain POST of JSON to the API, with the bearer token unless the headers editor names its own Authorization. */
function createFetcher(url: string, token: string | null): Fetcher {
  return async (params, options) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    for (const [name, value] of Object.entries(options?.headers ?? {})) headers[name.toLowerCase()] = String(value);
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(params) });
    const text = await response.text();
    try {
      return JSON.parse(text) as Awaited<ReturnType<Fetcher>>;
    } catch {
      return { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 200)}` }] } as Awaited<ReturnType<Fetcher>>;
    }
  };
}

type Session = { state: 'anonymous' } | { state: 'signed-in'; token: string; username: string | null };

/** Finishes a return to the callback URL, or silently signs in again after a reload; never loops. */
async function startSession(config: ConsoleConfig): Promise<Session | 'redirecting'> {
  const here = new URL(window.location.href);
  if (here.pathname === CALLBACK_PATH) {
    const back = here.searchParams.has('code') || here.searchParams.has('error');
    if (back) {
      try {
        await completeSignIn();
      } catch {
        // prompt=none without a provider session ends here with login_required: carry on anonymously.
        sessionStorage.removeItem(SIGNED_IN_HINT);
      }
    } else {
      // The provider's sign-out sends the browser here with neither code nor error.
      sessionStorage.removeItem(SIGNED_IN_HINT);
    }
    window.history.replaceState(null, '', '/graphql');
  } else if (sessionStorage.getItem(SIGNED_IN_HINT) && !accessToken()) {
    sessionStorage.removeItem(SIGNED_IN_HINT);
    await signIn({ silent: true, redirectUri: callbackUri() });
    return 'redirecting';
  }
  const token = accessToken();
  if (!token) return { state: 'anonymous' };
  sessionStorage.setItem(SIGNED_IN_HINT, '1');
  return { state: 'signed-in', token, username: await viewerName(config.graphqlUrl, token) };
}

async function viewerName(url: string, token: string): Promise<string | null> {
  const result = await createFetcher(url, token)({ query: '{ viewer { username } }' }) as { data?: { viewer?: { username?: string } | null } };
  return result.data?.viewer?.username ?? null;
}

function Playground({ config }: { config: ConsoleConfig }) {
  const [session, setSession] = useState<Session | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    startSession(config).then((started) => {
      if (started !== 'redirecting') setSession(started);
    }, (error: unknown) => {
      setProblem(error instanceof Error ? error.message : String(error));
      setSession({ state: 'anonymous' });
    });
  }, [config]);

  const onSignIn = useCallback(() => {
    setBusy(true);
    signIn({ redirectUri: callbackUri() }).catch((error: unknown) => {
      setBusy(false);
      setProblem(error instanceof Error ? error.message : String(error));
    });
  }, []);
  const onSignOut = useCallback(() => {
    setBusy(true);
    sessionStorage.removeItem(SIGNED_IN_HINT);
    signOut().catch((error: unknown) => {
      setBusy(false);
      setProblem(error instanceof Error ? error.message : String(error));
    });
  }, []);

  if (!session) return <p className="playground-status" role="status">Loading the playground…</p>;
  const token = session.state === 'signed-in' ? session.token : null;
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
              <span className="playground-who">Not signed in: requests are anonymous</span>
              <button type="button" onClick={onSignIn} disabled={busy} aria-busy={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
            </>
          )}
        <a href="/console">Console</a>
      </header>
      <main className="playground-ide">
        {/* A new fetcher after sign-in makes GraphiQL introspect again, now with the token. */}
        <GraphiQL key={token ?? 'anonymous'} fetcher={createFetcher(config.graphqlUrl, token)} defaultQuery={DEFAULT_QUERY} />
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
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    loadConfig().then(setConfig, (error: unknown) => setProblem(error instanceof Error ? error.message : String(error)));
  }, []);
  if (problem) return <p role="alert" className="playground-status">{problem}</p>;
  if (!config) return <p className="playground-status" role="status">Loading the playground…</p>;
  return <Playground config={config} />;
}

createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);
