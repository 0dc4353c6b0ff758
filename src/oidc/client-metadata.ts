// Turns a stored auth client into oidc-provider client metadata: exactly the grants it has enabled. Only a client
// acting for a user (Authorization Code, Password) gets refresh tokens; client credentials and personal access never do.
import type { ClientMetadata } from 'oidc-provider';
import { OIDC_SCOPE_NAMES } from '../access-control/scopes.js';
import { AuthClientGrant } from '../auth-clients/auth-client.entity.js';
import type { AuthClientRecord } from '../auth-clients/auth-client.service.js';

const WEB_SCHEMES = /^https?:/i;

/** Our own client metadata (oidc-provider's extraClientMetadata), read by the ttl functions and loadExistingGrant. */
export const ACCESS_TOKEN_LIFETIME = 'access_token_lifetime';
export const REFRESH_TOKEN_LIFETIME = 'refresh_token_lifetime';
export const SKIP_CONSENT = 'skip_consent';
export const EXTRA_CLIENT_METADATA = [ACCESS_TOKEN_LIFETIME, REFRESH_TOKEN_LIFETIME, SKIP_CONSENT];

/**
 * `clientSecret`: what AuthClientService.providerSecret gives for a confidential client (its working secrets' hashes);
 * a public client has none.
 */
export function clientMetadata(authClient: AuthClientRecord, clientSecret: string | undefined): ClientMetadata {
  const grantTypes = new Set<string>();
  if (authClient.grants.includes(AuthClientGrant.AUTHORIZATION_CODE)) grantTypes.add('authorization_code').add('refresh_token');
  if (authClient.grants.includes(AuthClientGrant.PASSWORD)) grantTypes.add('password').add('refresh_token');
  if (authClient.grants.includes(AuthClientGrant.CLIENT_CREDENTIALS)) grantTypes.add('client_credentials');
  const usesCode = grantTypes.has('authorization_code');
  return {
    client_id: authClient.id,
    client_name: authClient.name,
    // The working secrets' keyed hashes stand where oidc-provider expects the secret; compareClientSecret checks
    // against them. A change of secrets changes the metadata, so oidc-provider builds a new Client for it.
    // A public client (RFC 6749 §2.1) proves nothing at the token endpoint: it sends its client_id, and PKCE (required
    // for every client, provider.ts) binds the code to the app that asked for it.
    ...(authClient.confidential ? { client_secret: clientSecret, token_endpoint_auth_method: 'client_secret_basic' } : { token_endpoint_auth_method: 'none' }),
    grant_types: [...grantTypes],
    response_types: usesCode ? ['code'] : [],
    redirect_uris: authClient.redirectUris,
    // What it may ask for: oidc-provider refuses anything else with invalid_scope at /oidc/auth, as the password grant does.
    scope: [...OIDC_SCOPE_NAMES, ...authClient.scopes].join(' '),
    // As Keycloak's "+": after signing out, the client may send the user back to any of its redirect URIs.
    post_logout_redirect_uris: authClient.redirectUris,
    // Private-use schemes (com.example.app:/cb) belong to native apps (RFC 8252).
    application_type: authClient.redirectUris.every((uri) => WEB_SCHEMES.test(uri)) ? 'web' : 'native',
    [ACCESS_TOKEN_LIFETIME]: authClient.accessTokenLifetime,
    [REFRESH_TOKEN_LIFETIME]: authClient.refreshTokenLifetime,
    [SKIP_CONSENT]: authClient.skipConsent,
  };
}
