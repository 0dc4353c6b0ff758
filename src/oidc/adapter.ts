// oidc-provider's storage on MikroORM. Every id is stored as a keyed hash and every payload sealed with APP_KEY,
// so a copy of the table holds no usable token, code or session. Clients come from the auth_clients table.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Secrets } from '../shared/secrets.js';
import type { AuthClientService } from '../auth-clients/auth-client.service.js';
import { clientMetadata } from './client-metadata.js';
import { OidcPayload } from './oidc-payload.entity.js';

const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

/** The key an id (for tokens: their value) is stored under. Personal access tokens record it to find their row. */
export function storedIdOf(secrets: Secrets, id: string): string {
  return secrets.hash('oidc-id', id);
}

export function createAdapterClass(orm: MikroORM, secrets: Secrets, authClients: AuthClientService) {
  const hashId = (value: string) => storedIdOf(secrets, value);

  return class MikroOrmAdapter implements Adapter {
    constructor(private readonly model: string) {}

    private seal(key: string, payload: object): string {
      return secrets.encrypt('oidc-payload', JSON.stringify(payload), `${this.model}:${key}`);
    }

    private open(row: OidcPayload): AdapterPayload | undefined {
      if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return undefined;
      let payload: AdapterPayload;
      try {
        payload = JSON.parse(secrets.decrypt('oidc-payload', row.payload, `${this.model}:${row.id}`)) as AdapterPayload;
      } catch {
        return undefined; // tampered with, or sealed under another APP_KEY: as good as absent
      }
      if (row.consumedAt) payload.consumed = epoch(row.consumedAt);
      return payload;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      if (this.model === 'Client') throw new Error('Clients are managed through the GraphQL API');
      const key = hashId(id);
      // The jti is the id itself (for tokens, their value): keep only its hash, and put it back on find.
      const { jti: _jti, ...stored } = payload;
      await orm.em.fork().upsert(OidcPayload, {
        model: this.model,
        id: key,
        payload: this.seal(key, stored),
        grantId: payload.grantId ?? null,
        uid: payload.uid ? hashId(payload.uid) : null,
        userCode: payload.userCode ? hashId(payload.userCode) : null,
        expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
        consumedAt: null,
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        const authClient = await authClients.findById(orm.em.fork(), id);
        return authClient ? clientMetadata(authClient) : undefined;
      }
      const row = await orm.em.fork().findOne(OidcPayload, { model: this.model, id: hashId(id) });
      const payload = row && this.open(row);
      return payload ? { ...payload, jti: id } : undefined;
    }

    // Found by a secondary key, the id is unknown and the payload comes back without its jti. oidc-provider only
    // reads what these return (a Session to check a token's binding), so that is enough.
    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const row = await orm.em.fork().findOne(OidcPayload, { model: this.model, uid: hashId(uid) });
      return (row && this.open(row)) ?? undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const row = await orm.em.fork().findOne(OidcPayload, { model: this.model, userCode: hashId(userCode) });
      return (row && this.open(row)) ?? undefined;
    }

    async consume(id: string): Promise<void> {
      await orm.em.fork().nativeUpdate(OidcPayload, { model: this.model, id: hashId(id) }, { consumedAt: new Date() });
    }

    async destroy(id: string): Promise<void> {
      await orm.em.fork().nativeDelete(OidcPayload, { model: this.model, id: hashId(id) });
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await orm.em.fork().nativeDelete(OidcPayload, { grantId });
    }
  };
}

/** Deletes rows that expired more than a day ago (kept that long so late replays still find a consumed code). */
export async function deleteExpiredPayloads(orm: MikroORM): Promise<number> {
  return orm.em.fork().nativeDelete(OidcPayload, { expiresAt: { $lt: new Date(Date.now() - 24 * 3600 * 1000) } });
}
