// Signing keys (JWKS) and cookie keys: made once, stored encrypted in the database, shared by every instance.
import { generateKeyPairSync, randomUUID, type JsonWebKey } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomToken, type Secrets } from '../shared/secrets.js';
import { CryptoKey, CryptoKeyUse } from './crypto-key.entity.js';

export interface ProviderKeys {
  /** Private JWKs, the current one of each algorithm first. */
  jwks: { keys: JsonWebKey[] };
  cookieKeys: string[];
}

function newSigningKeys(): JsonWebKey[] {
  // RS256 is what every OIDC client supports (and the spec's default); ES256 is smaller and faster where allowed.
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [
    { ...rsa, kid: randomUUID(), alg: 'RS256', use: 'sig' },
    { ...ec, kid: randomUUID(), alg: 'ES256', use: 'sig' },
  ];
}

/** Loads the keys, making any that are missing. Call inside the bootstrap transaction, which serialises instances. */
export async function ensureProviderKeys(em: EntityManager, secrets: Secrets): Promise<ProviderKeys> {
  let stored = await em.find(CryptoKey, {}, { orderBy: { createdAt: 'desc', id: 'asc' } });
  const seal = (id: string, material: string) => secrets.encrypt('key-encryption', material, id);

  if (!stored.some((key) => key.use === CryptoKeyUse.SIGNING)) {
    for (const jwk of newSigningKeys()) {
      em.create(CryptoKey, { id: jwk.kid as string, use: CryptoKeyUse.SIGNING, material: seal(jwk.kid as string, JSON.stringify(jwk)) });
    }
  }
  if (!stored.some((key) => key.use === CryptoKeyUse.COOKIE)) {
    const id = randomUUID();
    em.create(CryptoKey, { id, use: CryptoKeyUse.COOKIE, material: seal(id, randomToken(32)) });
  }
  await em.flush();
  stored = await em.find(CryptoKey, {}, { orderBy: { createdAt: 'desc', id: 'asc' } });

  const open = (key: CryptoKey) => secrets.decrypt('key-encryption', key.material, key.id);
  return {
    jwks: { keys: stored.filter((key) => key.use === CryptoKeyUse.SIGNING).map((key) => JSON.parse(open(key)) as JsonWebKey) },
    cookieKeys: stored.filter((key) => key.use === CryptoKeyUse.COOKIE).map(open),
  };
}
