// What the rest of the service may do with oidc-provider's access tokens without knowing the provider: mint one under
// a value of its own (personal access tokens), and revoke one by the id it is stored under.

/** The grant type recorded on a personal access token, and how one is recognised. */
export const PERSONAL_ACCESS_GTY = 'personal_access';

export interface AccessTokenDraft {
  /** The token itself: its value is its id (jti). */
  value: string;
  clientId: string;
  accountId: string;
  scope?: string;
  /** Seconds from now. */
  expiresIn: number;
  gty: string;
}

export interface AccessTokenStore {
  /** The keyed hash a token value is stored under. */
  storedIdOf(value: string): string;
  /** Stores an opaque access token without a grant: what it may do is checked on each use. */
  issue(draft: AccessTokenDraft): Promise<void>;
  /** Deletes the access token stored under `storedId`; it stops working on every instance at once. */
  revoke(storedId: string): Promise<void>;
}
