// GraphQL input for creating an auth client. Rules live in auth-client.validation.ts, shared with the CLI.
import {
  ArgsType, Field, InputType, Int,
} from 'type-graphql';
import { AuthClientGrant } from './auth-client.entity.js';

@InputType('CreateAuthClientInput')
export class CreateAuthClientInput {
  @Field({ description: 'Unique among all clients, ignoring case and surrounding spaces; at most 255 characters' })
  name!: string;

  @Field(() => [AuthClientGrant], { description: 'At least one' })
  grants!: AuthClientGrant[];

  @Field(() => [String], { nullable: true, description: 'Required with, and only with, AUTHORIZATION_CODE' })
  redirectUris?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    description: 'API scopes the client may ask for (auth_clients:read, auth_clients:write, personal_access_tokens, ...); '
      + 'openid, profile, email and offline_access are always allowed. None by default',
  })
  scopes?: string[] | null;
}

@ArgsType()
export class AuthClientsArgs {
  @Field(() => Int, { nullable: true, defaultValue: 50, description: 'Page size, 0 to 100' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page' })
  after?: string | null;

  @Field(() => String, { nullable: true, description: 'Part of the name, any case' })
  search?: string | null;
}
