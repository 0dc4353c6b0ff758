// DPoP (RFC 9449) from the client's side: keys, proofs as a careful client makes them (and as a careless or hostile
// one might), and GraphQL requests that carry them.
import { createHash, randomUUID } from 'node:crypto';
import * as jose from 'jose';
import { oidc } from './oauth.js';
import type { GraphQLResult } from './graphql.js';

export interface DpopKey {
  keyPair: oidc.CryptoKeyPair;
  publicJwk: jose.JWK;
  /** RFC 7638 thumbprint: what a token bound to this key carries as cnf.jkt. */
  thumbprint: string;
}

/** `extractable`: for a test that needs the private half as a JWK. */
export async function dpopKey(alg = 'ES256', { extractable = false } = {}): Promise<DpopKey> {
  const keyPair = await oidc.randomDPoPKeyPair(alg, { extractable });
  const publicJwk = await jose.exportJWK(keyPair.publicKey);
  return { keyPair, publicJwk, thumbprint: await jose.calculateJwkThumbprint(publicJwk) };
}

export const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

export interface ProofOptions {
  htm?: string;
  htu: string;
  /** The access token, for ath; or `ath` itself. */
  token?: string;
  ath?: string;
  iat?: number;
  jti?: string;
  nonce?: string;
  typ?: string;
  alg?: string;
  /** The key named in the header, when it should differ from the signing key's public half. */
  jwk?: jose.JWK;
}

export async function dpopProof(key: DpopKey, options: ProofOptions): Promise<string> {
  const payload: jose.JWTPayload = {
    htm: options.htm ?? 'POST',
    htu: options.htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    jti: options.jti ?? randomUUID(),
  };
  const hash = options.ath ?? (options.token === undefined ? undefined : ath(options.token));
  if (hash !== undefined) payload.ath = hash;
  if (options.nonce !== undefined) payload.nonce = options.nonce;
  return new jose.SignJWT(payload)
    .setProtectedHeader({ alg: options.alg ?? 'ES256', typ: options.typ ?? 'dpop+jwt', jwk: options.jwk ?? key.publicJwk })
    .sign(key.keyPair.privateKey);
}

/** A GraphQL request with exactly these headers besides the content type. */
export async function graphqlWith<Data = Record<string, unknown>>(
  url: string,
  query: string,
  headers: Record<string, string>,
): Promise<GraphQLResult<Data>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  const body = await response.json() as Omit<GraphQLResult<Data>, 'status' | 'headers'>;
  return { status: response.status, headers: response.headers, ...body };
}
