// The rules an auth client must meet. Pure: returns the problems found; normalising input is a separate step.
import type { Problem } from '../shared/errors.js';
import {
  CONTROL_CHARACTERS, invisibleCharactersProblem, normalizeName,
} from '../shared/text.js';
import { API_SCOPE_NAMES, isKnownScope } from '../access-control/scopes.js';
import { AuthClientGrant } from './auth-client.entity.js';

export const NAME_MAX_LENGTH = 255;
export const REDIRECT_URI_MAX_LENGTH = 2000;
export const REDIRECT_URIS_MAX_COUNT = 20;
/** Access tokens live 60 s to 24 h, an hour by default; refresh tokens 1 h to 365 days, 30 days by default. */
export const ACCESS_TOKEN_LIFETIME = { min: 60, max: 24 * 3600, default: 3600 } as const;
export const REFRESH_TOKEN_LIFETIME = { min: 3600, max: 365 * 24 * 3600, default: 30 * 24 * 3600 } as const;

export interface AuthClientDraft {
  name: string;
  grants: readonly string[];
  redirectUris?: readonly string[] | null;
  /** Scopes the client may ask for; openid, profile, email and offline_access are always allowed. */
  scopes?: readonly string[] | null;
  /** A trusted first-party app: no consent page. False by default. */
  skipConsent?: boolean | null;
  /** Seconds; see ACCESS_TOKEN_LIFETIME and REFRESH_TOKEN_LIFETIME. */
  accessTokenLifetime?: number | null;
  refreshTokenLifetime?: number | null;
  /** False for a public client (no secret); true by default. */
  confidential?: boolean | null;
}

/**
 * The draft as it will be stored: name in normal form (normalizeName), grants without repeats, redirect URIs in
 * normal form (normalizeRedirectUri), API scopes only.
 */
export interface NormalizedAuthClient {
  name: string;
  grants: AuthClientGrant[];
  redirectUris: string[];
  /** In catalogue order. */
  scopes: string[];
  skipConsent: boolean;
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  confidential: boolean;
}

/** The grants a public client may have: none rests on a client secret (PERSONAL_ACCESS tokens are the user's). */
export const PUBLIC_CLIENT_GRANTS: ReadonlySet<string> = new Set([AuthClientGrant.AUTHORIZATION_CODE, AuthClientGrant.PERSONAL_ACCESS]);

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Loopback IP literals, whose port a native app picks when it runs (RFC 8252 §7.3): any port matches (redirectUriMatches). */
const LOOPBACK_IP_HOSTS = new Set(['127.0.0.1', '[::1]']);
// A host as a domain name (letters, digits, hyphens, underscores; punycode already applied), an IPv4 or an IPv6 literal.
const HOST = /^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])$/;
// Schemes that can run code or read local data in a browser: never a redirect target.
const DANGEROUS_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:', 'filesystem:']);
const GRANT_VALUES = new Set<string>(Object.values(AuthClientGrant));

export function normalizeAuthClient(draft: AuthClientDraft): NormalizedAuthClient {
  return {
    name: normalizeName(draft.name),
    grants: [...new Set(draft.grants)].filter((grant): grant is AuthClientGrant => GRANT_VALUES.has(grant)),
    redirectUris: (draft.redirectUris ?? []).map(normalizeRedirectUri),
    scopes: API_SCOPE_NAMES.filter((scope) => draft.scopes?.includes(scope)),
    skipConsent: draft.skipConsent ?? false,
    accessTokenLifetime: draft.accessTokenLifetime ?? ACCESS_TOKEN_LIFETIME.default,
    refreshTokenLifetime: draft.refreshTokenLifetime ?? REFRESH_TOKEN_LIFETIME.default,
    confidential: draft.confidential ?? true,
  };
}

const describeSeconds = (seconds: number) => (seconds % 86400 === 0 ? `${seconds / 86400} days`
  : seconds % 3600 === 0 ? `${seconds / 3600} hours` : `${seconds} seconds`);

function lifetimeProblem(value: number | null | undefined, range: { min: number; max: number }, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    return `The ${what} lifetime must be a whole number of seconds from ${range.min} (${describeSeconds(range.min)}) to ${range.max} (${describeSeconds(range.max)})`;
  }
  return undefined;
}


function nameProblem(rawName: string): string | undefined {
  const name = normalizeName(rawName);
  if (name === '') return 'Enter a name for the auth client';
  if (name.length > NAME_MAX_LENGTH) return `The name must be at most ${NAME_MAX_LENGTH} characters (it has ${name.length})`;
  return invisibleCharactersProblem(name, 'The name');
}

/**
 * A redirect URI in normal form: the WHATWG URL serialisation (lower-case scheme and host, punycode, no default port,
 * dot segments resolved), as stored and as matched (RFC 6749 §3.1.2.3, exactly). Only for a URI redirectUriProblem accepts.
 */
export function normalizeRedirectUri(uri: string): string {
  return new URL(uri.trim()).href;
}

/**
 * The authority of `uri` exactly as typed, for schemes written scheme://authority/...: the WHATWG parser forgives
 * backslashes, missing or extra slashes and empty user info, which other parsers read differently, so they are refused.
 */
function typedAuthority(uri: string, scheme: string): string | undefined {
  const rest = uri.slice(scheme.length);
  if (!rest.startsWith('//')) return undefined;
  return /^[^/?#]*/.exec(rest.slice(2))?.[0];
}

/** Why a redirect URI is refused, or undefined when it is acceptable (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §2.1). */
export function redirectUriProblem(rawUri: string): string | undefined {
  const uri = rawUri.trim();
  if (uri === '') return 'A redirect URL must not be empty';
  if (uri.length > REDIRECT_URI_MAX_LENGTH) return `A redirect URL must be at most ${REDIRECT_URI_MAX_LENGTH} characters`;
  if (/\s/.test(uri)) return `The redirect URL "${uri}" must not contain spaces`;
  if (CONTROL_CHARACTERS.test(uri)) return 'A redirect URL must not contain control characters';
  const invisible = invisibleCharactersProblem(uri, 'A redirect URL');
  if (invisible) return invisible;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `The redirect URL "${uri}" is not an absolute URL, e.g. https://app.example.com/callback`;
  }
  if (uri.includes('#')) return `The redirect URL "${uri}" must not contain a fragment (#...)`;
  const scheme = url.protocol;
  if (DANGEROUS_SCHEMES.has(scheme)) return `The redirect URL "${uri}" uses the ${scheme} scheme, which is not allowed`;
  if (uri.includes('\\')) return `The redirect URL "${uri}" is malformed: it must not contain a backslash`;
  const authority = typedAuthority(uri, uri.slice(0, scheme.length));
  const web = scheme === 'https:' || scheme === 'http:';
  if (web && authority === undefined) return `The redirect URL "${uri}" is malformed: write it as ${scheme}//host/path`;
  if (authority?.includes('@') || url.username || url.password) return `The redirect URL "${uri}" must not contain a user name or password`;
  if (web && !url.hostname) return `The redirect URL "${uri}" has no host`;
  if (web && authority === '') return `The redirect URL "${uri}" has no host`;
  if (url.hostname.includes('*')) return `The redirect URL "${uri}" must not use a wildcard (*) in its host: list each host`;
  if (url.hostname && !HOST.test(url.hostname)) return `The redirect URL "${uri}" has a host that is not a domain name or an IP address`;
  if (scheme === 'https:') return undefined;
  if (scheme === 'http:') {
    return LOOPBACK_HOSTS.has(url.hostname)
      ? undefined
      : `The redirect URL "${uri}" must use https; plain http is only allowed for localhost, 127.0.0.1 and [::1]`;
  }
  // A private-use scheme for native apps must be a reversed domain name the app owns (RFC 8252 §7.1).
  if (!/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/.test(scheme)) {
    return `The redirect URL "${uri}" must use https, http on a loopback host, or a private-use scheme based on a domain name, e.g. com.example.app:/callback`;
  }
  return undefined;
}

/** `uri` without its port, when it is plain http on a loopback IP literal in normal form; otherwise undefined. */
function loopbackWithoutPort(uri: string): string | undefined {
  const url = URL.parse(uri);
  if (!url || url.protocol !== 'http:' || !LOOPBACK_IP_HOSTS.has(url.hostname) || url.href !== uri) return undefined;
  url.port = '';
  return url.href;
}

/**
 * Whether the redirect URI a request presents is one of the client's (stored in normal form): the same string
 * exactly (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3), except that http://127.0.0.1 and http://[::1] match on any port, as
 * the native app picks it when it runs (RFC 8252 §7.3). http://localhost is matched exactly, port included: RFC 8252
 * §8.3 recommends against it, since the name may not resolve to the loopback.
 */
export function redirectUriMatches(registered: readonly string[], presented: string): boolean {
  if (registered.includes(presented)) return true;
  const loopback = loopbackWithoutPort(presented);
  return loopback !== undefined && registered.some((uri) => loopbackWithoutPort(uri) === loopback);
}

export function validateAuthClient(draft: AuthClientDraft): Problem[] {
  const problems: Problem[] = [];

  const name = nameProblem(draft.name);
  if (name) problems.push({ field: 'name', message: name });

  const unknown = draft.grants.filter((grant) => !GRANT_VALUES.has(grant));
  if (draft.grants.length === 0) {
    problems.push({ field: 'grants', message: 'Choose at least one grant: Authorization Code, Password, Personal Access Tokens or Client Credentials' });
  } else if (unknown.length > 0) {
    problems.push({ field: 'grants', message: `Unknown grant "${unknown[0]}"; choose from ${[...GRANT_VALUES].join(', ')}` });
  } else if (draft.confidential === false && draft.grants.some((grant) => !PUBLIC_CLIENT_GRANTS.has(grant))) {
    problems.push({
      field: 'grants',
      message: 'A public client has no secret, so it can only use the Authorization Code grant (with PKCE) and Personal Access Tokens',
    });
  }

  const redirectUris = (draft.redirectUris ?? []).map((uri) => uri.trim());
  const wantsCode = draft.grants.includes(AuthClientGrant.AUTHORIZATION_CODE);
  if (wantsCode && redirectUris.length === 0) {
    problems.push({ field: 'redirectUris', message: 'The Authorization Code grant needs at least one redirect URL' });
  } else if (!wantsCode && redirectUris.length > 0) {
    problems.push({ field: 'redirectUris', message: 'Redirect URLs are only used by the Authorization Code grant; remove them or choose that grant' });
  } else if (redirectUris.length > REDIRECT_URIS_MAX_COUNT) {
    problems.push({ field: 'redirectUris', message: `An auth client can have at most ${REDIRECT_URIS_MAX_COUNT} redirect URLs` });
  } else {
    const seen = new Set<string>();
    for (const uri of redirectUris) {
      const problem = redirectUriProblem(uri) ?? (seen.has(normalizeRedirectUri(uri)) ? `The redirect URL "${uri}" is listed twice` : undefined);
      if (problem) {
        problems.push({ field: 'redirectUris', message: problem });
        break;
      }
      seen.add(normalizeRedirectUri(uri));
    }
  }
  const unknownScope = (draft.scopes ?? []).find((scope) => !isKnownScope(scope));
  if (unknownScope !== undefined) {
    problems.push({ field: 'scopes', message: `Unknown scope "${unknownScope}"; choose from ${API_SCOPE_NAMES.join(', ')}` });
  }
  const accessTokenLifetime = lifetimeProblem(draft.accessTokenLifetime, ACCESS_TOKEN_LIFETIME, 'access token');
  if (accessTokenLifetime) problems.push({ field: 'accessTokenLifetime', message: accessTokenLifetime });
  const refreshTokenLifetime = lifetimeProblem(draft.refreshTokenLifetime, REFRESH_TOKEN_LIFETIME, 'refresh token');
  if (refreshTokenLifetime) problems.push({ field: 'refreshTokenLifetime', message: refreshTokenLifetime });
  return problems;
}
