// Signing keys (JWKS) and cookie keys: made once, stored encrypted in the database, shared by every instance.
// Rotation adds new signing keys and retires the old ones, which stay published until what they signed has expired.
import { generateKeyPairSync, randomUUID, type JsonWebKey } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Sql } from '../db/sql.js';
import { randomToken, type Secrets } from '../shared/secrets.js';
import { CryptoKey, CryptoKeyUse } from './crypto-key.entity.js';

export interface ProviderKeys {
  /** Private JWKs: the current key of each algorithm first, then retired ones still published. */
  jwks: { keys: JsonWebKey[] };
  cookieKeys: string[];
  /** Changes whenever the set of keys does; instances reload their provider when it changes. */
  version: string;
}

/**
 * How long a retired signing key stays published: longer than anything it signed lives (ID tokens, one hour),
 * with room for clock skew.
 */
export const RETIRED_KEY_RETENTION_MS = 65 * 60 * 1000;

// Parameters of a private JWK that must never leave the service.
const PRIVATE_PARTS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const;

function newSigningKeys(): JsonWebKey[] {
  // RS256 is what every OIDC client supports (and the spec's default); ES256 is smaller and faster where allowed.
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [
    { ...rsa, kid: randomUUID(), alg: 'RS256', use: 'sig' },
    { ...ec, kid: randomUUID(), alg: 'ES256', use: 'sig' },
  ];
}

function addSigningKeys(em: EntityManager, secrets: Secrets): string[] {
  return newSigningKeys().map((jwk) => {
    const id = jwk.kid as string;
    em.create(CryptoKey, { id, use: CryptoKeyUse.SIGNING, material: secrets.encrypt('key-encryption', JSON.stringify(jwk), id) });
    return id;
  });
}

type KeyState = Pick<CryptoKey, 'id' | 'use' | 'retiredAt'>;

/** The keys in use, in the order oidc-provider takes them, and the version that names that set. */
function arrange<Key extends KeyState>(stored: Key[]): { signing: Key[]; cookies: Key[]; version: string } {
  // Current keys (not retired) come first, newest first: oidc-provider signs with the first key of each algorithm.
  const signing = stored.filter((key) => key.use === CryptoKeyUse.SIGNING)
    .sort((a, b) => Number(Boolean(a.retiredAt)) - Number(Boolean(b.retiredAt)));
  const cookies = stored.filter((key) => key.use === CryptoKeyUse.COOKIE);
  return { signing, cookies, version: [...signing, ...cookies].map((key) => `${key.id}:${key.retiredAt ? 'r' : 'c'}`).join(',') };
}

const publishedSince = () => new Date(Date.now() - RETIRED_KEY_RETENTION_MS);

type StoredKey = KeyState & Pick<CryptoKey, 'material'>;

function openKeys(stored: StoredKey[], secrets: Secrets): ProviderKeys {
  const { signing, cookies, version } = arrange(stored);
  const open = (key: StoredKey) => secrets.decrypt('key-encryption', key.material, key.id);
  return {
    jwks: { keys: signing.map((key) => JSON.parse(open(key)) as JsonWebKey) },
    cookieKeys: cookies.map(open),
    version,
  };
}

/** The keys an instance should use now. Read-only: safe to call at any time, on any instance. */
export async function loadProviderKeys(em: EntityManager, secrets: Secrets): Promise<ProviderKeys> {
  const stored = await em.find(CryptoKey, {
    $or: [{ use: CryptoKeyUse.COOKIE }, { retiredAt: null }, { retiredAt: { $gt: publishedSince() } }],
  }, { orderBy: { createdAt: 'desc', id: 'asc' } });
  return openKeys(stored, secrets);
}

const PUBLISHED_KEYS = `from crypto_keys where use = $1 or retired_at is null or retired_at > $2 order by created_at desc, id asc`;

/**
 * What loadProviderKeys returns, read with plain SQL; undefined when a current signing or cookie key is missing,
 * which only ensureProviderKeys, under the bootstrap lock, may make.
 */
export async function readProviderKeys(sql: Sql, secrets: Secrets): Promise<ProviderKeys | undefined> {
  const stored = await sql.rows<StoredKey>(
    `select id, use, retired_at as "retiredAt", material ${PUBLISHED_KEYS}`,
    [CryptoKeyUse.COOKIE, publishedSince()],
  );
  const current = stored.filter((key) => !key.retiredAt);
  if (!current.some((key) => key.use === CryptoKeyUse.SIGNING) || !current.some((key) => key.use === CryptoKeyUse.COOKIE)) return undefined;
  return openKeys(stored, secrets);
}

/** The version loadProviderKeys would report now, read without touching (or decrypting) any key material. */
export async function providerKeysVersion(sql: Sql): Promise<string> {
  const stored = await sql.rows<KeyState>(
    `select id, use, retired_at as "retiredAt" ${PUBLISHED_KEYS}`,
    [CryptoKeyUse.COOKIE, publishedSince()],
  );
  return arrange(stored).version;
}

/** Loads the keys, making any that are missing. Call inside the bootstrap transaction, which serialises instances. */
export async function ensureProviderKeys(em: EntityManager, secrets: Secrets): Promise<ProviderKeys> {
  const current = await em.find(CryptoKey, { retiredAt: null });
  if (!current.some((key) => key.use === CryptoKeyUse.SIGNING)) addSigningKeys(em, secrets);
  if (!current.some((key) => key.use === CryptoKeyUse.COOKIE)) {
    const id = randomUUID();
    em.create(CryptoKey, { id, use: CryptoKeyUse.COOKIE, material: secrets.encrypt('key-encryption', randomToken(32), id) });
  }
  await em.flush();
  return loadProviderKeys(em, secrets);
}

/** Adds new signing keys, which become current, and retires the ones they replace. Returns the new key ids. */
export async function rotateSigningKeys(em: EntityManager, secrets: Secrets): Promise<string[]> {
  await em.nativeUpdate(CryptoKey, { use: CryptoKeyUse.SIGNING, retiredAt: null }, { retiredAt: new Date() });
  const ids = addSigningKeys(em, secrets);
  await em.flush();
  return ids;
}

/** The public halves, for /oidc/jwks. */
export function publicJwks(keys: ProviderKeys): { keys: JsonWebKey[] } {
  return {
    keys: keys.jwks.keys.map((jwk) => {
      const copy: Record<string, unknown> = { ...jwk };
      for (const part of PRIVATE_PARTS) delete copy[part];
      return copy;
    }),
  };
}
