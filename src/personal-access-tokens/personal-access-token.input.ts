// GraphQL input for personal access tokens. Rules live in the service, shared with the CLI.
import {
  ArgsType, Field, ID, InputType, Int,
} from 'type-graphql';

@InputType('CreatePersonalAccessTokenInput')
export class CreatePersonalAccessTokenInput {
  @Field({ description: 'Unique among your tokens; at most 100 characters' })
  name!: string;

  @Field(() => ID, { description: 'An auth client with the PERSONAL_ACCESS grant' })
  authClientId!: string;

  @Field(() => [String], { nullable: true, description: 'Any scope but offline_access (openid, profile, email, auth_clients:read, ...) that the auth client allows and your own token holds' })
  scopes?: string[] | null;

  @Field(() => Date, { nullable: true, description: 'Defaults to, and may be at most, the configured maximum (a year)' })
  expiresAt?: Date | null;
}

@ArgsType()
export class PersonalAccessTokensArgs {
  @Field(() => Int, { nullable: true, defaultValue: 50, description: 'Page size, 0 to 100' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page' })
  after?: string | null;
}
