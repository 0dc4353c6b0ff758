// Thin GraphQL resolvers for users: parse arguments, call UserService, shape the result. Who may call what is in
// graphql/rules.ts; the rules against lockout and climbing are in the services.
import {
  Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root,
} from 'type-graphql';
import { DateTimeISO } from '../graphql/scalars.js';
import { AccessControlService } from '../access-control/access-control.service.js';
import { PERMISSION_CATALOGUE } from '../access-control/permissions.js';
import { PermissionGroupType } from '../access-control/permission.type.js';
import { perRequestBatch } from '../graphql/batch.js';
import { toConnection } from '../graphql/connection.js';
import {
  auditSourceOf, callerOf, type Context,
} from '../graphql/context.js';
import { NotAuthenticated } from '../shared/errors.js';
import type { GroupRecord, GroupService } from './group.service.js';
import { GroupType } from './group.type.js';
import { userNotFound, type PersonRecord, type UserService } from './user.service.js';
import { DeleteUserPayload, UserConnection, UserType } from './user.type.js';
import { CreateUserInput, UpdateUserInput, UsersArgs } from './user.input.js';

const signedInUserOf = ({ viewer }: Context) => {
  if (!viewer?.user) throw new NotAuthenticated();
  return viewer.user;
};

@Resolver(() => UserType)
export class UserResolver {
  readonly #people: (context: object, id: string) => Promise<PersonRecord | undefined>;
  readonly #directPermissions: (context: object, id: string) => Promise<string[] | undefined>;
  readonly #groups: (context: object, id: string) => Promise<GroupRecord[] | undefined>;

  constructor(
    private readonly service: UserService,
    groups: GroupService,
    private readonly accessControl: AccessControlService,
  ) {
    this.#people = perRequestBatch((ids: string[]) => service.findByIds(ids));
    this.#directPermissions = perRequestBatch((ids: string[]) => service.directPermissionsOf(ids));
    this.#groups = perRequestBatch((ids: string[]) => groups.groupsOf(ids));
  }

  #type(user: PersonRecord): UserType {
    return UserType.from(user, this.accessControl.effectivePermissions(user));
  }

  @Query(() => UserConnection, { description: 'Users sorted by username. Needs view-users and the scope users:read' })
  async users(@Args() {
    first, after, search, isActive,
  }: UsersArgs): Promise<UserConnection> {
    return toConnection(await this.service.list({
      first: first ?? 50, after, search, isActive,
    }), after, (user) => this.#type(user));
  }

  @Query(() => UserType, { nullable: true, description: 'One user, or null. Needs view-users and the scope users:read, except for the viewer themself' })
  async user(@Arg('id', () => ID) id: string): Promise<UserType | null> {
    const user = await this.service.findById(id);
    return user && this.#type(user);
  }

  @Query(() => [PermissionGroupType], { description: 'The permission catalogue, under its headings. Needs a signed-in user' })
  permissions(): PermissionGroupType[] {
    const headings = new Map<string, PermissionGroupType>();
    for (const { name, title, groupName } of PERMISSION_CATALOGUE) {
      let heading = headings.get(groupName);
      if (!heading) {
        heading = { name: groupName, permissions: [] };
        headings.set(groupName, heading);
      }
      heading.permissions.push({ name, title });
    }
    return [...headings.values()];
  }

  @Mutation(() => UserType, { description: 'Needs create-users and the scope users:write' })
  async createUser(@Ctx() context: Context, @Arg('input') input: CreateUserInput): Promise<UserType> {
    const created = await this.service.create(context.em, {
      username: input.username, email: input.email, password: input.password, isActive: input.isActive ?? true,
    }, auditSourceOf(context));
    return this.#type((await this.service.findById(created.id))!);
  }

  @Mutation(() => UserType, {
    description: 'Changes a username, email or active state. Deactivating ends the user\'s sessions and tokens. Nobody deactivates themself; '
      + 'only a Super Admin changes a Super Admin; the last active Super Admin stays active. Needs edit-users and the scope users:write',
  })
  async updateUser(@Ctx() context: Context, @Arg('input') { id, ...changes }: UpdateUserInput): Promise<UserType> {
    return this.#type(await this.service.update(id, changes, callerOf(context), auditSourceOf(context)));
  }

  @Mutation(() => UserType, {
    description: 'Sets a user\'s password, signing them out of their other sessions and revoking their refresh tokens. Needs edit-users and '
      + 'the scope users:write, and to hold every permission the user holds; or, for the viewer\'s own password, only currentPassword',
  })
  async setUserPassword(
    @Ctx() context: Context,
    @Arg('id', () => ID) id: string,
    @Arg('password') password: string,
    @Arg('currentPassword', () => String, { nullable: true, description: 'Required when setting one\'s own password' }) currentPassword: string | null,
  ): Promise<UserType> {
    const self = context.viewer?.user?.id === id;
    return this.#type(await this.service.setPassword(id, password, {
      currentPassword, requireCurrent: self, keepSessionUid: self ? context.viewer?.sessionUid : null, ip: context.request.ip,
    }, callerOf(context), auditSourceOf(context)));
  }

  @Mutation(() => UserType, { description: 'Changes the viewer\'s own password, signing them out of their other sessions. Needs a signed-in user' })
  async changeMyPassword(
    @Ctx() context: Context,
    @Arg('currentPassword') currentPassword: string,
    @Arg('newPassword') newPassword: string,
  ): Promise<UserType> {
    const viewer = signedInUserOf(context);
    return this.#type(await this.service.setPassword(viewer.id, newPassword, {
      currentPassword, requireCurrent: true, keepSessionUid: context.viewer?.sessionUid, field: 'newPassword', ip: context.request.ip,
    }, callerOf(context), auditSourceOf(context)));
  }

  @Mutation(() => DeleteUserPayload, {
    description: 'Deletes a user and ends everything they hold; their audit events stay. Nobody deletes themself; the last active Super Admin stays. '
      + 'Needs delete-users and the scope users:write',
  })
  async deleteUser(@Ctx() context: Context, @Arg('id', () => ID) id: string): Promise<DeleteUserPayload> {
    await this.service.delete(id, callerOf(context), auditSourceOf(context));
    return { deletedUserId: id };
  }

  @Mutation(() => UserType, {
    description: 'Replaces the permissions granted to the user directly. Who is not a Super Admin may add or remove only permissions they hold. '
      + 'Needs edit-users and the scope users:write',
  })
  async setUserPermissions(
    @Ctx() context: Context,
    @Arg('userId', () => ID) userId: string,
    @Arg('permissions', () => [String]) permissions: string[],
  ): Promise<UserType> {
    return this.#type(await this.service.setPermissions(userId, permissions, this.accessControl, callerOf(context), auditSourceOf(context)));
  }

  @Mutation(() => UserType, { description: 'Makes or unmakes a Super Admin; the last active one stays. Super Admins only, with the scope users:write' })
  async setSuperAdmin(
    @Ctx() context: Context,
    @Arg('userId', () => ID) userId: string,
    @Arg('isSuperAdmin') isSuperAdmin: boolean,
  ): Promise<UserType> {
    return this.#type(await this.service.setSuperAdmin(userId, isSuperAdmin, callerOf(context), auditSourceOf(context)));
  }

  async #person(user: UserType, context: object): Promise<PersonRecord> {
    const person = await this.#people(context, user.id);
    if (!person) throw userNotFound(user.id);
    return person;
  }

  @FieldResolver(() => Boolean, { description: 'An inactive user cannot sign in, and their tokens are refused' })
  async isActive(@Root() user: UserType, @Ctx() context: Context): Promise<boolean> {
    return user.loadedIsActive ?? (await this.#person(user, context)).isActive;
  }

  @FieldResolver(() => DateTimeISO, { nullable: true, description: 'The last successful sign-in (sign-in form or password grant); null if never' })
  async lastSignInAt(@Root() user: UserType, @Ctx() context: Context): Promise<Date | null> {
    return user.loadedLastSignInAt !== undefined ? user.loadedLastSignInAt : (await this.#person(user, context)).lastSignInAt;
  }

  @FieldResolver(() => [String], { description: 'The permissions granted to the user directly, not through groups' })
  async directPermissions(@Root() user: UserType, @Ctx() context: Context): Promise<string[]> {
    return await this.#directPermissions(context, user.id) ?? [];
  }

  @FieldResolver(() => [GroupType], { description: 'The groups the user is in, by name. For the user themself, or with view-users and the scope users:read' })
  async groups(@Root() user: UserType, @Ctx() context: Context): Promise<GroupType[]> {
    return (await this.#groups(context, user.id) ?? []).map((group) => GroupType.from(group));
  }
}
