// Thin GraphQL resolvers for groups: parse arguments, call GroupService, shape the result.
import {
  Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root,
} from 'type-graphql';
import type { AccessControlService } from '../access-control/access-control.service.js';
import { perRequestBatch } from '../graphql/batch.js';
import { toConnection } from '../graphql/connection.js';
import { auditSourceOf, callerOf, type Context } from '../graphql/context.js';
import type { GroupService } from './group.service.js';
import { DeleteGroupPayload, GroupConnection, GroupType } from './group.type.js';
import { CreateGroupInput, GroupsArgs, UpdateGroupInput } from './user.input.js';
import type { UserService } from './user.service.js';
import { UserConnection, UserType } from './user.type.js';

@Resolver(() => GroupType)
export class GroupResolver {
  readonly #permissions: (context: object, id: string) => Promise<string[] | undefined>;
  readonly #memberCounts: (context: object, id: string) => Promise<number | undefined>;

  constructor(
    private readonly service: GroupService,
    private readonly people: UserService,
    private readonly accessControl: AccessControlService,
  ) {
    this.#permissions = perRequestBatch((ids: string[]) => service.permissionsOf(ids));
    this.#memberCounts = perRequestBatch((ids: string[]) => service.memberCounts(ids));
  }

  @Query(() => GroupConnection, { description: 'Groups sorted by name. Needs view-groups and the scope groups:read' })
  async groups(@Args() { first, after, search }: GroupsArgs): Promise<GroupConnection> {
    return toConnection(await this.service.list({ first: first ?? 50, after, search }), after, (group) => GroupType.from(group));
  }

  @Query(() => GroupType, { nullable: true, description: 'One group, or null. Needs view-groups and the scope groups:read' })
  async group(@Arg('id', () => ID) id: string): Promise<GroupType | null> {
    const group = await this.service.findById(id);
    return group && GroupType.from(group);
  }

  @Mutation(() => GroupType, { description: 'Needs create-groups and the scope groups:write' })
  async createGroup(@Ctx() context: Context, @Arg('input') input: CreateGroupInput): Promise<GroupType> {
    return GroupType.from(await this.service.create(context.em, input, auditSourceOf(context)));
  }

  @Mutation(() => GroupType, { description: 'Renames a group or changes its description. Needs edit-groups and the scope groups:write' })
  async updateGroup(@Ctx() context: Context, @Arg('input') { id, ...changes }: UpdateGroupInput): Promise<GroupType> {
    return GroupType.from(await this.service.update(id, changes, auditSourceOf(context)));
  }

  @Mutation(() => DeleteGroupPayload, {
    description: 'Deletes a group; its members lose what it granted. Who is not a Super Admin must hold every permission of the group. '
      + 'Needs delete-groups and the scope groups:write',
  })
  async deleteGroup(@Ctx() context: Context, @Arg('id', () => ID) id: string): Promise<DeleteGroupPayload> {
    await this.service.delete(id, callerOf(context), auditSourceOf(context));
    return { deletedGroupId: id };
  }

  @Mutation(() => GroupType, {
    description: 'Adds users (at most 100); members already in stay. Who is not a Super Admin must hold every permission of the group. '
      + 'Needs edit-groups and the scope groups:write',
  })
  async addGroupMembers(
    @Ctx() context: Context,
    @Arg('groupId', () => ID) groupId: string,
    @Arg('userIds', () => [ID]) userIds: string[],
  ): Promise<GroupType> {
    return GroupType.from(await this.service.addMembers(groupId, userIds, callerOf(context), auditSourceOf(context)));
  }

  @Mutation(() => GroupType, {
    description: 'Removes users (at most 100); they lose what the group granted on their next request. Who is not a Super Admin must hold every '
      + 'permission of the group. Needs edit-groups and the scope groups:write',
  })
  async removeGroupMembers(
    @Ctx() context: Context,
    @Arg('groupId', () => ID) groupId: string,
    @Arg('userIds', () => [ID]) userIds: string[],
  ): Promise<GroupType> {
    return GroupType.from(await this.service.removeMembers(groupId, userIds, callerOf(context), auditSourceOf(context)));
  }

  @Mutation(() => GroupType, {
    description: 'Replaces the permissions of a group. Who is not a Super Admin may add or remove only permissions they hold. '
      + 'Needs edit-groups and the scope groups:write',
  })
  async setGroupPermissions(
    @Ctx() context: Context,
    @Arg('groupId', () => ID) groupId: string,
    @Arg('permissions', () => [String]) permissions: string[],
  ): Promise<GroupType> {
    return GroupType.from(await this.service.setPermissions(groupId, permissions, callerOf(context), auditSourceOf(context)));
  }

  @FieldResolver(() => [String], { description: 'The permissions the group grants its members' })
  async permissions(@Root() group: GroupType, @Ctx() context: Context): Promise<string[]> {
    return await this.#permissions(context, group.id) ?? [];
  }

  @FieldResolver(() => Int)
  async memberCount(@Root() group: GroupType, @Ctx() context: Context): Promise<number> {
    return await this.#memberCounts(context, group.id) ?? 0;
  }

  @FieldResolver(() => UserConnection, { description: 'The members, by username. Needs view-groups and the scope groups:read' })
  async members(
    @Root() group: GroupType,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50, description: 'Page size, 0 to 100' }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: 'The endCursor of the previous page' }) after: string | null,
  ): Promise<UserConnection> {
    const page = await this.people.list({ first: first ?? 50, after, groupId: group.id });
    return toConnection(page, after, (user) => UserType.from(user, this.accessControl.effectivePermissions(user)));
  }
}
