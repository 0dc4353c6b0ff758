// DPoP (RFC 9449) at /graphql: a token bound to a key (cnf.jkt) is good only with a fresh proof signed by that key, and
// a proof's id is recorded in the database, so a proof replayed on any instance is refused.
import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import {
  calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK,
} from 'jose';
import { errors, type Provider } from 'oidc-provider';
import { DPOP_SIGNING_ALGS } from '../oidc/provider.js';

export type AuthScheme = 'Bearer' | 'DPoP';

/** How far a proof's iat may be from this instance's clock, either way (oidc-provider's token endpoint allows 300 s). */
export const DPOP_IAT_WINDOW_SECONDS = 60;

/**
 * The iss under which /graphql records proof ids (jti) in oidc-provider's ReplayDetection. The token endpoint records
 * them under the client's id (a UUID), so the two never share an entry.
 */
export const GRAPHQL_REPLAY_ISSUER = 'urn:auth-clients:graphql';

export interface DpopRequest {
  /** The Authorization header's scheme. */
  scheme: AuthScheme;
  /** The `DPoP` request header, if any. */
  proof: string | string[] | undefined;
  /** The access token's value. */
  token: string;
  /** The JWK thumbprint the token is bound to (its cnf.jkt), if it is bound. */
  jkt: string | undefined;
  method: string;
  /** Where this API is reached: PUBLIC_URL + /graphql. */
  url: string;
}

const ALGS = DPOP_SIGNING_ALGS.join(' ');

function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * A refusal of a DPoP request's credentials (RFC 9449 §7.1): HTTP 401 (400 for invalid_request, as RFC 6750 §3.1 has
 * it) with a DPoP challenge that names the accepted algorithms.
 */
export function dpopRefusal(error: 'invalid_token' | 'invalid_dpop_proof' | 'invalid_request', description: string): GraphQLError {
  const challenge = `DPoP error=${quoted(error)}, error_description=${quoted(description)}, algs=${quoted(ALGS)}`;
  const status = error === 'invalid_request' ? 400 : 401;
  return new GraphQLError(description, {
    extensions: {
      code: status === 400 ? 'BAD_REQUEST' : 'UNAUTHENTICATED',
      http: { status, headers: new Map([['www-authenticate', challenge]]) },
    },
  });
}

const invalidProof = (description: string) => dpopRefusal('invalid_dpop_proof', description);

/** The URL without query and fragment, normalised, as oidc-provider compares htu (lib/helpers/validate_dpop.js). */
function htuOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    url.search = '';
    url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}

/**
 * Checks that the request may use its token as sent: a token bound to a key only with the DPoP scheme and a valid
 * proof by that key (RFC 9449 §7), an unbound token only as Bearer. Throws the GraphQLError to answer with.
 */
export async function checkSenderConstraint(provider: Provider, request: DpopRequest): Promise<void> {
  const { scheme, proof, jkt } = request;
  if (scheme === 'Bearer') {
    if (jkt) throw dpopRefusal('invalid_token', 'The access token is bound to a DPoP key: send it with the DPoP scheme and a DPoP proof');
    // As oidc-provider's own resource endpoints answer.
    if (proof !== undefined) throw dpopRefusal('invalid_request', 'A DPoP proof must come with the DPoP authorization scheme');
    return;
  }
  if (!jkt) throw dpopRefusal('invalid_token', 'The access token is not bound to a DPoP key: send it with the Bearer scheme');
  if (proof === undefined) throw invalidProof('DPoP proof JWT not provided');
  if (typeof proof !== 'string') throw invalidProof('Exactly one DPoP proof must be sent');

  let payload: Record<string, unknown>;
  let jwk: JWK;
  try {
    // EmbeddedJWK verifies with the header's jwk and refuses one holding private key material.
    const verified = await jwtVerify(proof, EmbeddedJWK, { algorithms: [...DPOP_SIGNING_ALGS], typ: 'dpop+jwt' });
    payload = verified.payload;
    jwk = verified.protectedHeader.jwk!;
  } catch {
    // jose's reasons (a wrong typ or alg, a private key in the jwk, a bad signature) are kept to the server.
    throw invalidProof('invalid DPoP key binding');
  }
  if (typeof payload.iat !== 'number' || !payload.iat) throw invalidProof('DPoP proof must have a iat number property');
  if (typeof payload.jti !== 'string' || !payload.jti) throw invalidProof('DPoP proof must have a jti string property');
  // No nonce is ever handed out (the provider has no nonce secret), so none can be right.
  if (payload.nonce !== undefined) throw invalidProof('DPoP nonces are not supported');
  const now = Math.floor(Date.now() / 1000);
  if (Math.abs(now - payload.iat) > DPOP_IAT_WINDOW_SECONDS) throw invalidProof('DPoP proof iat is not recent enough');
  if (payload.htm !== request.method) throw invalidProof('DPoP proof htm mismatch');
  const htu = htuOf(payload.htu);
  if (htu === undefined || htu !== htuOf(request.url)) throw invalidProof('DPoP proof htu mismatch');
  if (payload.ath !== createHash('sha256').update(request.token).digest('base64url')) throw invalidProof('DPoP proof ath mismatch');

  // A valid proof by another key: the token is not this caller's (oidc-provider: 'failed jkt verification').
  if (await calculateJwkThumbprint(jwk) !== jkt) throw dpopRefusal('invalid_token', 'The DPoP proof is not signed by the key the access token is bound to');

  // Remembered until no proof with this iat could be accepted any more: iat is at most one window ahead of now.
  let unique: boolean;
  try {
    unique = await provider.ReplayDetection.unique(GRAPHQL_REPLAY_ISSUER, payload.jti, now + 2 * DPOP_IAT_WINDOW_SECONDS);
  } catch (error) {
    // The adapter's insert lost a race with the same proof on another request (adapter.ts).
    if (error instanceof errors.InvalidDpopProof) unique = false;
    else throw error;
  }
  if (!unique) throw invalidProof('DPoP proof JWT Replay detected');
}
