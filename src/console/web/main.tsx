// The console's entry: loads config.json, finishes or starts the sign-in, then renders the shell on Apollo Client.
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ApolloProvider } from '@apollo/client/react';
import { createApolloClient } from './apollo';
import { navigate, setBase } from './router';
import { Shell } from './shell';
import { accessToken, completeSignIn, loadConfig, signIn } from './sign-in';
import { BusyButton, ErrorMessage } from './ui/states';
import './console.css';

function SignedOut({ message, returnTo }: { message?: string | undefined; returnTo: string }) {
  const [busy, setBusy] = useState(false);
  return (
    <main className="center" id="main">
      <section className="card signed-out" aria-labelledby="signed-out-title">
        <h1 id="signed-out-title">Auth Clients</h1>
        {message ? <ErrorMessage error={message} /> : <p>You are signed out.</p>}
        <BusyButton
          type="button"
          busy={busy}
          busyLabel="Signing in…"
          autoFocus
          onClick={() => {
            setBusy(true);
            void signIn({ returnTo });
          }}
        >
          Sign in
        </BusyButton>
      </section>
    </main>
  );
}

async function start(): Promise<void> {
  const root = createRoot(document.getElementById('root')!);
  // index.html is served at /console and every path under it; the app's base is wherever /console sits.
  const base = location.pathname.replace(/\/console(\/.*)?$/, '/console');
  setBase(base);
  let config;
  try {
    config = await loadConfig(`${base}/config.json`);
  } catch (error) {
    root.render(<main className="center"><ErrorMessage error={`The console could not start: ${(error as Error).message}`} /></main>);
    return;
  }
  if (location.pathname === new URL(config.redirectUri).pathname) {
    const result = await completeSignIn();
    if (result.status !== 'signed-in') {
      const returnTo = result.returnTo.startsWith(base) ? result.returnTo : `${base}/`;
      root.render(<StrictMode><SignedOut message={result.status === 'failed' ? result.message : undefined} returnTo={returnTo} /></StrictMode>);
      return;
    }
    const target = result.returnTo.startsWith(base) && !result.returnTo.startsWith(`${base}/callback`) ? result.returnTo : `${base}/`;
    navigate(target.slice(base.length) || '/', { replace: true });
  } else if (!accessToken()) {
    // A new page load has no tokens: the provider's session signs in again without a prompt when it can.
    await signIn({ silent: true });
    return;
  }
  const client = createApolloClient(config.graphqlUrl);
  root.render(
    <StrictMode>
      <ApolloProvider client={client}>
        <Shell />
      </ApolloProvider>
    </StrictMode>,
  );
}

void start();
