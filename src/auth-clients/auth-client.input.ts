// GraphQL input for creating an auth client. Rules live in auth-client.validation.ts, shared with the CLI.
import {
  ArgsType, Field, ID, InputType, Int,
} from 'type-graphql';
import { DateTimeISO } from '../graphql/scalars.js';
import { AuthClientGrant } from './auth-client.entity.js';

/** The settings that create and update take alike (its fields are inherited; no field takes it, so it is not in the schema). */
@InputType('AuthClientSettingsInput')
abstract class AuthClientSettingsInput {
  @Field(() => Boolean, { nullable: true, description: 'A trusted first-party app: no consent page. False by default' })
  skipConsent?: boolean | null;

  @Field(() => Int, { nullable: true, description: 'Seconds, 60 to 86400 (24 h); 3600 by default' })
  accessTokenLifetime?: number | null;

  @Field(() => Int, { nullable: true, description: 'Seconds, 3600 (1 h) to 31536000 (365 days); 2592000 (30 days) by default' })
  refreshTokenLifetime?: number | null;
}

@InputType('CreateAuthClientInput')
export class CreateAuthClientInput extends AuthClientSettingsInput {
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

  @Field(() => Boolean, {
    nullable: true,
    description: 'False for a public client (a browser or native app): no secret, PKCE, only AUTHORIZATION_CODE and PERSONAL_ACCESS. True by default',
  })
  confidential?: boolean | null;
}

@InputType('UpdateAuthClientInput', { description: 'What to change; anything left out stays. Validated as on create, on the result' })
export class UpdateAuthClientInput extends AuthClientSettingsInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => [AuthClientGrant], { nullable: true, description: 'Removing a grant revokes the tokens issued through it' })
  grants?: AuthClientGrant[] | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Required with AUTHORIZATION_CODE; left out while removing that grant, the redirect URLs go with it',
  })
  redirectUris?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'The API scopes it may ask for; removing one revokes the tokens carrying it' })
  scopes?: string[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'False makes it public: its secrets stop working at once, and the codes and refresh tokens of its Authorization Code '
      + 'grant are revoked. A public client becomes confidential with makeAuthClientConfidential, which returns its secret',
  })
  confidential?: boolean | null;
}

@ArgsType()
export class AuthClientsArgs {
  @Field(() => Int, { nullable: true, defaultValue: 50, description: 'Page size, 0 to 100' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page' })
  after?: string | null;

  @Field(() => String, { nullable: true, description: 'Part of the name, any case' })
  search?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Only enabled (true) or only disabled (false) clients' })
  enabled?: boolean | null;

  @Field(() => DateTimeISO, { nullable: true, description: 'Stale clients: never used, or last used before this time' })
  unusedSince?: Date | null;
}
