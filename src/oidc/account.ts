// The bridge from oidc-provider's accounts to our users: only active users exist for it.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Account, FindAccount } from 'oidc-provider';
import type { User } from '../users/user.entity.js';
import type { UserService } from '../users/user.service.js';

export function accountFor(user: User): Account {
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

export function createFindAccount(orm: MikroORM, users: UserService): FindAccount {
  return async (_ctx, sub) => {
    const user = await users.findActive(orm.em.fork(), sub);
    return user ? accountFor(user) : undefined;
  };
}
