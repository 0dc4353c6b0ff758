// DPoP (RFC 9449) at /graphql: a token from the code flow with a DPoP proof is good only with a fresh proof by the same
// key, for this URL and method, used once across every instance; every refusal says why in a DPoP challenge.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { DPOP_SIGNING_ALGS } from '../../src/oidc/provider.js';
import { startApp, useTestApp, type TestApp } from '../helpers/app.js';
import { FormBrowser } from '../helpers/browser.js';
import { dpopKey, dpopProof, graphqlWith, type DpopKey, type ProofOptions } from '../helpers/dpop.js';
import { createClient, createUser } from '../helpers/fixtures.js';
import type { GraphQLResult } from '../helpers/graphql.js';
import { clientConfig, oidc, passwordGrant } from '../helpers/oauth.js';
import { serverUrl } from '../helpers/storage.js';

const REDIRECT = 'https://app.example.com/callback';
const VIEWER = '{ viewer { username } }';
const ALGS = 'algs="ES256 Ed25519 EdDSA"';
const t = useTestApp();
let config: oidc.Configuration;
let key: DpopKey;
/** A DPoP-bound access token from the code flow, and whose it is. */
let token: string;
let username: string;

/** The Authorization Code flow with PKCE for a new user, the code exchanged with a DPoP proof by `key`. */
async function codeFlowWithDpop(scope: string): Promise<{ tokens: oidc.TokenEndpointResponse; username: string }> {
  const who = await createUser(t.current);
  const browser = new FormBrowser([REDIRECT]);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope, prompt: 'consent', state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const signInPage = await browser.open(url.href);
  const consent = await browser.submit(signInPage, /\/login$/, { login: who.username, password: who.password });
  const redirected = await browser.submit(consent, /\/consent$/, { decision: 'allow' });
  const tokens = await oidc.authorizationCodeGrant(config, new URL(redirected.url), { pkceCodeVerifier: verifier, expectedState: state }, undefined, {
    DPoP: oidc.getDPoPHandle(config, key.keyPair),
  });
  return { tokens, username: who.username };
}

beforeAll(async () => {
  const client = await createClient(t.current, [AuthClientGrant.AUTHORIZATION_CODE], [REDIRECT]);
  config = await clientConfig(t.current, client);
  key = await dpopKey('ES256', { extractable: true });
  // offline_access: a token that outlives the browser session, so /graphql remembers it (viewer-cache.ts).
  const flow = await codeFlowWithDpop('openid offline_access');
  expect(flow.tokens.token_type).toBe('dpop');
  token = flow.tokens.access_token;
  username = flow.username;
});

const htu = (app: TestApp = t.current) => `${app.url}/graphql`;
const proofFor = (options: Partial<ProofOptions> = {}, by = key) => dpopProof(by, { htu: htu(), token, ...options });
const withProof = async (proof: string, url = t.current.url) => graphqlWith<{ viewer: { username: string } }>(url, VIEWER, { authorization: `DPoP ${token}`, dpop: proof });

/** What the caller learns from a refusal: HTTP status, GraphQL code, and the challenge. */
const refusal = (result: GraphQLResult<unknown>) => ({
  status: result.status,
  code: result.errors?.[0]?.extensions?.code,
  challenge: result.headers.get('www-authenticate'),
});
const dpopChallenge = (error: string, description: string) => `DPoP error="${error}", error_description="${description}", ${ALGS}`;

it('advertises the proof algorithms /graphql accepts in discovery', async () => {
  const discovery = await (await fetch(`${t.current.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
  expect(discovery.dpop_signing_alg_values_supported).toEqual([...DPOP_SIGNING_ALGS]);
  expect(ALGS).toBe(`algs="${DPOP_SIGNING_ALGS.join(' ')}"`);
});

describe('a DPoP-bound token', () => {
  it('is accepted with a proof made by openid-client, again and again with new proofs', async () => {
    const DPoP = oidc.getDPoPHandle(config, key.keyPair);
    for (let i = 0; i < 2; i += 1) {
      const response = await oidc.fetchProtectedResource(
        config, token, new URL(htu()), 'POST', JSON.stringify({ query: VIEWER }), new Headers({ 'content-type': 'application/json' }), { DPoP },
      );
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { viewer: { username } } });
    }
  });

  it('is accepted with a proof whose htu carries a query or fragment (compared without them), or whose iat is 50 s off', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const options of [{ htu: `${htu()}?x=1#y` }, { iat: now - 50 }, { iat: now + 50 }]) {
      const result = await withProof(await proofFor(options));
      expect(result.data).toEqual({ viewer: { username } });
    }
  });

  it('is refused as Bearer, with or without a proof, also once remembered', async () => {
    expect((await withProof(await proofFor())).status).toBe(200); // now remembered
    const asBearer = await graphqlWith(t.current.url, VIEWER, { authorization: `Bearer ${token}` });
    expect(refusal(asBearer)).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
      challenge: dpopChallenge('invalid_token', 'The access token is bound to a DPoP key: send it with the DPoP scheme and a DPoP proof'),
    });
    expect(asBearer.data ?? null).toBeNull();
    const bearerWithProof = await graphqlWith(t.current.url, VIEWER, { authorization: `Bearer ${token}`, dpop: await proofFor() });
    expect(refusal(bearerWithProof)).toEqual(refusal(asBearer));
  });

  it('is refused with the DPoP scheme but no proof', async () => {
    const result = await graphqlWith(t.current.url, VIEWER, { authorization: `DPoP ${token}` });
    expect(refusal(result)).toEqual({ status: 401, code: 'UNAUTHENTICATED', challenge: dpopChallenge('invalid_dpop_proof', 'DPoP proof JWT not provided') });
  });

  const now = () => Math.floor(Date.now() / 1000);
  it.each<[string, () => Promise<string>, string]>([
    ['for another URL (htu)', () => proofFor({ htu: `${t.current.url}/oidc/me` }), 'DPoP proof htu mismatch'],
    ['for another host (htu)', () => proofFor({ htu: 'https://api.example.com/graphql' }), 'DPoP proof htu mismatch'],
    ['for another method (htm)', () => proofFor({ htm: 'GET' }), 'DPoP proof htm mismatch'],
    ['for another token (ath)', () => proofFor({ token: 'another-token' }), 'DPoP proof ath mismatch'],
    ['without ath', () => dpopProof(key, { htu: htu() }), 'DPoP proof ath mismatch'],
    ['made 90 s ago (iat)', () => proofFor({ iat: now() - 90 }), 'DPoP proof iat is not recent enough'],
    ['made 90 s ahead (iat)', () => proofFor({ iat: now() + 90 }), 'DPoP proof iat is not recent enough'],
    ['carrying a nonce, which this service never hands out', () => proofFor({ nonce: 'abc' }), 'DPoP nonces are not supported'],
    ['with typ JWT', () => proofFor({ typ: 'JWT' }), 'invalid DPoP key binding'],
    ['signed with an algorithm not advertised (PS256)', async () => proofFor({ alg: 'PS256' }, await dpopKey('PS256')), 'invalid DPoP key binding'],
    ['whose signature does not verify', async () => `${(await proofFor()).slice(0, -4)}AAAA`, 'invalid DPoP key binding'],
    ['naming a key it was not signed with', async () => proofFor({ jwk: (await dpopKey()).publicJwk }), 'invalid DPoP key binding'],
    // Its own private key, so nothing else about the proof is wrong.
    ['with private key material in its jwk', async () => proofFor({ jwk: await jose.exportJWK(key.keyPair.privateKey) }), 'invalid DPoP key binding'],
    ['sent twice in one header', async () => `${await proofFor()}, ${await proofFor()}`, 'invalid DPoP key binding'],
  ])('is refused with a proof %s: invalid_dpop_proof', async (_case, makeProof, description) => {
    const result = await withProof(await makeProof());
    expect(refusal(result)).toEqual({ status: 401, code: 'UNAUTHENTICATED', challenge: dpopChallenge('invalid_dpop_proof', description) });
    expect(result.errors?.[0]?.message).toBe(description);
    expect(result.data ?? null).toBeNull();
  });

  it('is refused with a valid proof by another key: invalid_token', async () => {
    const result = await withProof(await proofFor({}, await dpopKey()));
    expect(refusal(result)).toEqual({
      status: 401, code: 'UNAUTHENTICATED', challenge: dpopChallenge('invalid_token', 'The DPoP proof is not signed by the key the access token is bound to'),
    });
  });

  it('is refused with a proof used before', async () => {
    const proof = await proofFor();
    expect((await withProof(proof)).status).toBe(200);
    const replayed = await withProof(proof);
    expect(refusal(replayed)).toEqual({ status: 401, code: 'UNAUTHENTICATED', challenge: dpopChallenge('invalid_dpop_proof', 'DPoP proof JWT Replay detected') });
  });

  it('is accepted only once for one proof sent several times at once', async () => {
    const proof = await proofFor({ jti: randomUUID() });
    const results = await Promise.all(Array.from({ length: 5 }, () => withProof(proof)));
    expect(results.map((result) => result.status).sort()).toEqual([200, 401, 401, 401, 401]);
  });

  it('is refused once revoked, with a DPoP challenge for a DPoP request', async () => {
    const { tokens } = await codeFlowWithDpop('openid offline_access');
    await oidc.tokenRevocation(config, tokens.access_token);
    const result = await graphqlWith(t.current.url, VIEWER, {
      authorization: `DPoP ${tokens.access_token}`, dpop: await dpopProof(key, { htu: htu(), token: tokens.access_token }),
    });
    expect(refusal(result)).toEqual({ status: 401, code: 'UNAUTHENTICATED', challenge: dpopChallenge('invalid_token', 'The access token is invalid, expired or revoked') });
  });

  it('bound to a browser session (no offline_access, so never remembered) is checked the same way', async () => {
    const { tokens, username: sessionUser } = await codeFlowWithDpop('openid');
    const proof = await dpopProof(key, { htu: htu(), token: tokens.access_token });
    const ok = await graphqlWith(t.current.url, VIEWER, { authorization: `DPoP ${tokens.access_token}`, dpop: proof });
    expect(ok.data).toEqual({ viewer: { username: sessionUser } });
    expect((await graphqlWith(t.current.url, VIEWER, { authorization: `DPoP ${tokens.access_token}`, dpop: proof })).status).toBe(401);
    expect((await graphqlWith(t.current.url, VIEWER, { authorization: `Bearer ${tokens.access_token}` })).status).toBe(401);
  });
});

describe('a plain bearer token', () => {
  let bearer: string;
  beforeAll(async () => {
    const client = await createClient(t.current);
    bearer = (await passwordGrant(t.current, client, await createUser(t.current))).access_token;
  });

  it('is refused with the DPoP scheme, even with a valid proof', async () => {
    const result = await graphqlWith(t.current.url, VIEWER, { authorization: `DPoP ${bearer}`, dpop: await dpopProof(key, { htu: htu(), token: bearer }) });
    expect(refusal(result)).toEqual({
      status: 401, code: 'UNAUTHENTICATED', challenge: dpopChallenge('invalid_token', 'The access token is not bound to a DPoP key: send it with the Bearer scheme'),
    });
  });

  it('is refused as Bearer with a DPoP proof beside it (invalid_request, as oidc-provider answers)', async () => {
    const result = await graphqlWith(t.current.url, VIEWER, { authorization: `Bearer ${bearer}`, dpop: await dpopProof(key, { htu: htu(), token: bearer }) });
    expect(refusal(result)).toEqual({
      status: 400, code: 'BAD_REQUEST', challenge: dpopChallenge('invalid_request', 'A DPoP proof must come with the DPoP authorization scheme'),
    });
  });

  it('still works as Bearer', async () => {
    const result = await graphqlWith(t.current.url, VIEWER, { authorization: `Bearer ${bearer}` });
    expect(result.status).toBe(200);
    expect(result.errors).toBeUndefined();
  });
});

// Two instances behind one PUBLIC_URL (as behind a load balancer) share the database, and so the proof ids seen.
(serverUrl ? describe : describe.skip)('two instances on one database', () => {
  let other: TestApp;
  let otherUrl: string;
  beforeAll(async () => {
    other = await startApp(t.current.storage, { PUBLIC_URL: t.current.config.publicUrl });
    otherUrl = `http://127.0.0.1:${(other.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => other?.stop());

  it('refuses on one instance a proof already used on the other', async () => {
    const proof = await proofFor();
    expect((await withProof(proof, t.current.url)).data).toEqual({ viewer: { username } });
    const replayed = await withProof(proof, otherUrl);
    expect(refusal(replayed)).toEqual({ status: 401, code: 'UNAUTHENTICATED', challenge: dpopChallenge('invalid_dpop_proof', 'DPoP proof JWT Replay detected') });
    // The other instance does take a fresh proof.
    expect((await withProof(await proofFor(), otherUrl)).data).toEqual({ viewer: { username } });
  });

  it('accepts one proof sent to both at once only once', async () => {
    const proof = await proofFor();
    const results = await Promise.all([t.current.url, otherUrl, t.current.url, otherUrl].map((url) => withProof(proof, url)));
    expect(results.map((result) => result.status).sort()).toEqual([200, 401, 401, 401]);
  });
});
