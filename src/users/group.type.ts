// The GraphQL face of a group. Its members, permissions and member count are resolved by GroupResolver.
import { Field, ID, ObjectType } from 'type-graphql';
import { Connection } from '../graphql/connection.js';
import type { GroupRecord } from './group.service.js';

@ObjectType('Group', { simpleResolvers: true, description: 'A named set of users; permissions granted to a group reach every member' })
export class GroupType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field()
  createdAt!: Date;

  static from(group: GroupRecord): GroupType {
    return Object.assign(new GroupType(), {
      id: group.id, name: group.name, description: group.description, createdAt: group.createdAt,
    });
  }
}

@ObjectType('GroupConnection', { simpleResolvers: true })
export class GroupConnection extends Connection('Group', GroupType) {}

@ObjectType('DeleteGroupPayload', { simpleResolvers: true })
export class DeleteGroupPayload {
  @Field(() => ID)
  deletedGroupId!: string;
}
