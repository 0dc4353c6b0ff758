// GraphQL input for users and groups. Rules live in the services (validateUser, identityProblems, passwordProblems, checkGroupName).
import {
  ArgsType, Field, ID, InputType, Int,
} from 'type-graphql';

@InputType('CreateUserInput')
export class CreateUserInput {
  @Field({ description: '1 to 100 letters, digits, dots, dashes or underscores; unique ignoring case' })
  username!: string;

  @Field({ description: 'Unique ignoring case' })
  email!: string;

  @Field()
  password!: string;

  @Field(() => Boolean, { nullable: true, defaultValue: true, description: 'An inactive user cannot sign in; true by default' })
  isActive?: boolean | null;
}

@InputType('UpdateUserInput', { description: 'What to change; anything left out stays' })
export class UpdateUserInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  username?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Deactivating ends the user\'s sessions and revokes their tokens and personal access tokens' })
  isActive?: boolean | null;
}

@InputType('CreateGroupInput')
export class CreateGroupInput {
  @Field({ description: '1 to 255 characters; unique ignoring case' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'At most 1000 characters' })
  description?: string | null;
}

@InputType('UpdateGroupInput', { description: 'What to change; anything left out stays' })
export class UpdateGroupInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Empty text removes it' })
  description?: string | null;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, defaultValue: 50, description: 'Page size, 0 to 100' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page' })
  after?: string | null;
}

@ArgsType()
export class UsersArgs extends PageArgs {
  @Field(() => String, { nullable: true, description: 'Part of the username or email, any case' })
  search?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Only active (true) or only inactive (false) users' })
  isActive?: boolean | null;
}

@ArgsType()
export class GroupsArgs extends PageArgs {
  @Field(() => String, { nullable: true, description: 'Part of the name, any case' })
  search?: string | null;
}
