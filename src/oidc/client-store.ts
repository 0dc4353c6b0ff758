// Clients for oidc-provider, read from auth_clients and kept in memory until the change feed says they changed, so an
// edit made on any instance (or by the CLI, or in SQL) applies to the very next token request everywhere. A change of
// the client's secrets is announced on the same channel (client_secrets migration).
import type { ClientMetadata } from 'oidc-provider';
import type { AuthClientService } from '../auth-clients/auth-client.service.js';
import { ChangeCache } from '../db/change-cache.js';
import type { ChangeFeed } from '../db/change-feed.js';
import type { ClientSource } from './adapter.js';
import { clientMetadata } from './client-metadata.js';

export class ClientStore implements ClientSource {
  readonly #clients: ChangeCache<ClientMetadata>;

  constructor(authClients: AuthClientService, feed: ChangeFeed) {
    this.#clients = new ChangeCache(feed, 'auth_clients', async (id) => {
      const authClient = await authClients.findById(id);
      // A disabled client does not exist for oidc-provider: no token endpoint, no sign-in, and the one token check
      // refuses every token it holds. Its tokens are kept, so enabling it brings back those not yet expired.
      if (!authClient?.enabled) return undefined;
      return clientMetadata(authClient, authClient.confidential ? await authClients.providerSecret(authClient.id) : undefined);
    }, { byRow: true });
  }

  find(id: string): Promise<ClientMetadata | undefined> {
    return this.#clients.get(id);
  }
}
