// `viewer`: the signed-in user, as the bearer token names them.
import { Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { UserType } from './user.type.js';

@Resolver(() => UserType)
export class ViewerResolver {
  @Query(() => UserType, {
    nullable: true,
    description: 'The signed-in user. Needs a signed-in user; null for a client-credentials token, which acts as its client, not a user',
  })
  viewer(@Ctx() { viewer }: Context): UserType | null {
    if (!viewer?.user) return null;
    const { user, permissions } = viewer;
    // Only an active user's token gets this far.
    return UserType.from({ ...user, grantedPermissions: [], isActive: true }, permissions);
  }
}
