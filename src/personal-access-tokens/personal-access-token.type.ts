// The GraphQL face of a personal access token: what its owner may see, never the token or its hash.
import { Field, ID, ObjectType } from 'type-graphql';
import { Connection } from '../graphql/connection.js';
import type { PersonalAccessToken } from './personal-access-token.entity.js';

@ObjectType('PersonalAccessTokenClient', { simpleResolvers: true, description: 'The auth client a personal access token was issued through' })
export class PersonalAccessTokenClient {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;
}

@ObjectType('PersonalAccessToken', { simpleResolvers: true, description: 'A named token of the signed-in user, for scripts and tools' })
export class PersonalAccessTokenType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => PersonalAccessTokenClient)
  client!: PersonalAccessTokenClient;

  @Field(() => [String])
  scopes!: string[];

  @Field({ description: 'The first characters of the token, to recognise it; not a secret' })
  tokenPrefix!: string;

  @Field()
  createdAt!: Date;

  @Field()
  expiresAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the token was last used, to the minute' })
  lastUsedAt!: Date | null;

  static from(entity: PersonalAccessToken): PersonalAccessTokenType {
    const client = entity.client.getEntity();
    return Object.assign(new PersonalAccessTokenType(), {
      id: entity.id,
      name: entity.name,
      client: Object.assign(new PersonalAccessTokenClient(), { id: client.id, name: client.name }),
      scopes: entity.scopes,
      tokenPrefix: entity.tokenPrefix,
      createdAt: entity.createdAt,
      expiresAt: entity.expiresAt,
      lastUsedAt: entity.lastUsedAt ?? null,
    });
  }
}

@ObjectType('PersonalAccessTokenConnection', { simpleResolvers: true, description: 'The signed-in user\'s tokens, newest first; revoked ones left out' })
export class PersonalAccessTokenConnection extends Connection('PersonalAccessToken', PersonalAccessTokenType) {}

@ObjectType('CreatePersonalAccessTokenPayload', { simpleResolvers: true })
export class CreatePersonalAccessTokenPayload {
  @Field(() => PersonalAccessTokenType)
  personalAccessToken!: PersonalAccessTokenType;

  @Field({ description: 'The token. Shown only here, once: store it now' })
  token!: string;
}
