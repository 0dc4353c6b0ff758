// Every place this service relies on oidc-provider beyond its documented API, in one module, so an upgrade has one
// file to review. test/oidc/provider-internals.test.ts fails when an upgrade changes any of them.
import type Provider from 'oidc-provider';

type AccessToken = InstanceType<Provider['AccessToken']>;
type IdToken = InstanceType<Provider['IdToken']>;

/**
 * Client secrets are stored as keyed hashes, where oidc-provider expects the secret itself: replace its comparison
 * (Client.prototype.compareClientSecret, called by its client_secret_basic and client_secret_post authentication).
 */
export function compareClientSecretsWith(provider: Provider, verify: (storedHash: string, presented: string) => boolean): void {
  provider.Client.prototype.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, presented: string) {
    return verify(this.clientSecret ?? '', presented);
  };
}

/** The error_description oidc-provider gives a client using a grant type it is not allowed (actions/token.js). */
export const GRANT_TYPE_NOT_ALLOWED = 'requested grant type is not allowed for this client';

/**
 * An access token stored under a value of our own (a personal access token), with no grant. oidc-provider's types
 * require a grantId, and it picks a token's format only when it makes the value itself: both are set here.
 */
export function grantlessOpaqueAccessToken(
  provider: Provider,
  fields: { value: string; client: InstanceType<Provider['Client']>; accountId: string; gty: string; scope?: string; expiresIn: number },
): AccessToken {
  const token = new provider.AccessToken({
    grantId: undefined as unknown as string,
    jti: fields.value,
    client: fields.client,
    accountId: fields.accountId,
    gty: fields.gty,
    scope: fields.scope,
    expiresIn: fields.expiresIn,
  });
  (token as unknown as { format: string }).format = 'opaque';
  return token;
}

/** The scope an ID token's claims are filtered by; set by hand for a grant oidc-provider does not ship (password). */
export function setIdTokenScope(idToken: IdToken, scope: string): void {
  (idToken as unknown as { scope: string }).scope = scope;
}
