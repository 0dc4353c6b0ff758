// The bridge from oidc-provider's accounts to our users: only active users exist for it, and a token it presents
// (userinfo, refresh) must pass the same check as everywhere else (token-check.ts).
import type { Account, FindAccount } from 'oidc-provider';
import type { UserRecord, UserService } from '../users/user.service.js';
import type { TokenCheck } from './token-check.js';

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

export function createFindAccount(users: UserService, tokens: TokenCheck): FindAccount {
  return async (ctx, sub, token) => {
    // userinfo passes the access token, refresh the refresh token; other callers (a code, a session) the user alone.
    if (token && (token.kind === 'AccessToken' || token.kind === 'RefreshToken')) {
      const holder = await tokens.check(ctx.oidc.provider, token, ctx.oidc.entities.Grant);
      return holder?.user && holder.user.id === sub ? accountFor(holder.user) : undefined;
    }
    const user = await users.findActive(sub);
    return user ? accountFor(user) : undefined;
  };
}
