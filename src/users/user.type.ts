// The GraphQL face of a user, without the password hash.
import {
  Field, ID, ObjectType,
} from 'type-graphql';

import { Connection } from '../graphql/connection.js';
import type { ViewerRecord } from './user.service.js';

@ObjectType('User', { simpleResolvers: true })
export class UserType {
  @Field(() => ID)
  id!: string;

  @Field()
  username!: string;

  @Field()
  email!: string;

  @Field()
  isSuperAdmin!: boolean;

  @Field(() => [String], { description: 'Permission names held directly, through groups, or as Super Admin' })
  effectivePermissions!: string[];

  @Field()
  createdAt!: Date;

  /** Resolved by UserResolver.isActive when the record read did not say. */
  loadedIsActive?: boolean;

  /** Resolved by UserResolver.lastSignInAt when the record read did not say. */
  loadedLastSignInAt?: Date | null;

  static from(
    user: ViewerRecord & { isActive?: boolean; lastSignInAt?: Date | null },
    effectivePermissions: Iterable<string>,
  ): UserType {
    return Object.assign(new UserType(), {
      id: user.id,
      username: user.username,
      email: user.email,
      isSuperAdmin: user.isSuperAdmin,
      effectivePermissions: [...effectivePermissions].sort(),
      createdAt: user.createdAt,
      loadedIsActive: user.isActive,
      loadedLastSignInAt: user.lastSignInAt,
    });
  }
}

@ObjectType('UserConnection', { simpleResolvers: true })
export class UserConnection extends Connection('User', UserType) {}

@ObjectType('DeleteUserPayload', { simpleResolvers: true })
export class DeleteUserPayload {
  @Field(() => ID)
  deletedUserId!: string;
}

