// The bridge from oidc-provider's accounts to our users: only active users exist for it.
import type { Account, FindAccount } from 'oidc-provider';
import type { UserRecord, UserService } from '../users/user.service.js';

export function accountFor(user: UserRecord): Account {
  return {
    accountId: user.id,
    // oidc-provider filters these down to the claims of the granted scopes.
    claims: () => ({
      sub: user.id,
      preferred_username: user.username,
      email: user.email,
      email_verified: false,
    }),
  };
}

export function createFindAccount(users: UserService): FindAccount {
  return async (_ctx, sub) => {
    const user = await users.findActive(sub);
    return user ? accountFor(user) : undefined;
  };
}
