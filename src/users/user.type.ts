// The GraphQL face of a user, without the password hash.
import { Field, ID, ObjectType } from 'type-graphql';

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
}
