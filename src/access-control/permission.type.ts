// The permission catalogue as GraphQL shows it: each heading with its permissions.
import { Field, ObjectType } from 'type-graphql';

@ObjectType('Permission', { simpleResolvers: true })
export class PermissionType {
  @Field({ description: 'The machine name, e.g. view-users' })
  name!: string;

  @Field({ description: 'What a person reads, e.g. View Users' })
  title!: string;
}

@ObjectType('PermissionGroup', { simpleResolvers: true, description: 'A heading of the permission catalogue, e.g. Users, with its permissions' })
export class PermissionGroupType {
  @Field()
  name!: string;

  @Field(() => [PermissionType])
  permissions!: PermissionType[];
}
