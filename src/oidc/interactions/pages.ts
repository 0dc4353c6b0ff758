// Server-rendered pages for signing in, consenting, signing out and errors. Plain HTML forms: no script at all, so
// they work without JavaScript and under a Content-Security-Policy that allows none.
import { describeScope } from '../../access-control/scopes.js';
import { TOO_MANY_ATTEMPTS_MESSAGE } from '../../users/password-attempts.js';

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}


export const STYLESHEET_PATH = '/assets/pages.css';

export const STYLESHEET = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; display: grid; place-items: center; min-height: 100vh; background: Canvas; color: CanvasText; }
main { width: min(24rem, 100% - 2rem); padding: 2rem; border: 1px solid GrayText; border-radius: .5rem; }
h1 { font-size: 1.4rem; margin-top: 0; }
label { display: block; margin: 1rem 0 .25rem; font-weight: 600; }
input[type=text], input[type=password] { box-sizing: border-box; width: 100%; padding: .5rem; font: inherit; }
button { margin-top: 1.5rem; padding: .5rem 1rem; font: inherit; cursor: pointer; }
.actions { display: flex; gap: .5rem; flex-wrap: wrap; }
.alert { padding: .75rem; border: 1px solid #b00020; border-radius: .25rem; color: #b00020; }
.secondary { background: none; border: 1px solid GrayText; }
`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

export interface LoginPage {
  action: string;
  abortAction: string;
  csrf: string;
  clientName: string;
  login?: string;
  /** Why the last attempt did not sign in: wrong credentials, or refused unchecked by the brute-force limits. */
  refusal?: 'wrong-credentials' | 'too-many-attempts';
}

export function loginPage({
  action, abortAction, csrf, clientName, login = '', refusal,
}: LoginPage): string {
  const alert = refusal === 'too-many-attempts' ? TOO_MANY_ATTEMPTS_MESSAGE : 'The username, email or password is not right.';
  return layout('Sign in', `<h1>Sign in</h1>
<p>to continue to <strong>${escapeHtml(clientName)}</strong></p>
${refusal ? `<p class="alert" role="alert">${escapeHtml(alert)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label for="login">Username or email</label>
<input type="text" id="login" name="login" value="${escapeHtml(login)}" autocomplete="username" autocapitalize="none" spellcheck="false" required${login ? '' : ' autofocus'}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${login ? ' autofocus' : ''}>
<div class="actions"><button type="submit">Sign in</button></div>
</form>
<form method="post" action="${escapeHtml(abortAction)}">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<button type="submit" class="secondary">Cancel</button>
</form>`);
}

export interface ConsentPage {
  action: string;
  csrf: string;
  clientName: string;
  username: string;
  scopes: string[];
}

export function consentPage({
  action, csrf, clientName, username, scopes,
}: ConsentPage): string {
  const items = scopes.map((scope) => `<li>${escapeHtml(describeScope(scope))} <small>(${escapeHtml(scope)})</small></li>`).join('\n');
  return layout(`Allow ${clientName}?`, `<h1>Allow <strong>${escapeHtml(clientName)}</strong> to use your account?</h1>
<p>Signed in as <strong>${escapeHtml(username)}</strong>. ${escapeHtml(clientName)} asks to:</p>
<ul>
${items}
</ul>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<div class="actions">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>`);
}

export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>
<p class="alert" role="alert">${escapeHtml(message)}</p>`);
}

export function logoutPage(form: string, host: string): string {
  // `form` is oidc-provider's own hidden form (its action and xsrf value, already escaped).
  return layout('Sign out', `<h1>Sign out of ${escapeHtml(host)}?</h1>
${form}
<div class="actions">
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Yes, sign me out</button>
<button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>
</div>`);
}

export function loggedOutPage(): string {
  return layout('Signed out', '<h1>Signed out</h1>\n<p>You have been signed out. You can close this window.</p>');
}
