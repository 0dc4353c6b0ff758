// The console's frame: header with the signed-in user and "Sign out", navigation filtered by permission, and the page.
import { useEffect, useRef, useState } from 'react';
import { PAGES, PERMISSION_TITLES, type ConsolePage } from './routes';
import { followLink, hrefOf, navigate, usePath } from './router';
import { signOut } from './sign-in';
import { useViewer } from './viewer';
import { BusyButton, ErrorMessage, Loading } from './ui/states';

function Forbidden({ page }: { page: ConsolePage }) {
  const title = PERMISSION_TITLES[page.permission ?? ''] ?? page.permission;
  return (
    <section className="forbidden" aria-labelledby="forbidden-title">
      <h1 id="forbidden-title">{page.label}</h1>
      <p>
        {'You need the permission '}
        <strong>{title}</strong>
        {` (${page.permission}) to use this page. Please ask your Administrator to grant it to you or to one of your groups.`}
      </p>
    </section>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        {'There is no such page in the console. '}
        <a href={hrefOf('/')} onClick={(event) => followLink(event, '/')}>Go to the start</a>
      </p>
    </section>
  );
}

export function Shell() {
  const path = usePath();
  const { viewer, loading, error, may } = useViewer();
  const [signingOut, setSigningOut] = useState(false);
  const main = useRef<HTMLElement>(null);
  const visible = PAGES.filter((page) => may(page.permission));
  const page = PAGES.find((candidate) => path === candidate.path || path.startsWith(`${candidate.path}/`));

  // The start goes to the first page this person may use (or the first page, which says what they lack).
  useEffect(() => {
    if (path === '/' && viewer) navigate((visible[0] ?? PAGES[0])?.path ?? '/', { replace: true });
  }, [path, viewer, visible]);
  useEffect(() => {
    if (page) document.title = `${page.label} · Admin Console`;
  }, [page]);

  if (!viewer) {
    return (
      <main className="center" id="main">
        {loading ? <Loading label="Signing in…" /> : <ErrorMessage error={error ?? 'This sign-in has no user (a client-credentials token?).'} />}
      </main>
    );
  }
  return (
    <div className="shell">
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="header">
        <span className="brand">Admin Console</span>
        <nav aria-label="Main">
          <ul>
            {visible.map((entry) => (
              <li key={entry.path}>
                <a
                  href={hrefOf(entry.path)}
                  aria-current={page === entry ? 'page' : undefined}
                  onClick={(event) => {
                    followLink(event, entry.path);
                    main.current?.focus();
                  }}
                >
                  {entry.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="user">
          <span className="username" title={viewer.email}>{viewer.username}</span>
          <BusyButton
            type="button"
            className="secondary"
            busy={signingOut}
            busyLabel="Signing out…"
            onClick={() => {
              setSigningOut(true);
              void signOut();
            }}
          >
            Sign out
          </BusyButton>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {page ? (may(page.permission) ? page.element : <Forbidden page={page} />) : path === '/' ? <Loading /> : <NotFound />}
      </main>
    </div>
  );
}
