// The GraphQL face of an auth client. Kept apart from the entity so the secret hash can never reach the schema.
import {
  Field, ID, Int, ObjectType, registerEnumType,
} from 'type-graphql';
import { DateTimeISO } from '../graphql/scalars.js';
import { OIDC_SCOPE_NAMES } from '../access-control/scopes.js';
import { Connection } from '../graphql/connection.js';
import { AuthClientGrant } from './auth-client.entity.js';
import type { AuthClientRecord, AuthClientSecretSummary } from './auth-client.service.js';

registerEnumType(AuthClientGrant, {
  name: 'AuthClientGrant',
  description: 'How an auth client may obtain tokens',
  valuesConfig: {
    AUTHORIZATION_CODE: { description: 'Sends the user to sign in, then back to a redirect URL with a code' },
    PASSWORD: { description: 'A legacy or first-party app sends the user\'s username and password' },
    PERSONAL_ACCESS: { description: 'Users create personal access tokens through this client' },
    CLIENT_CREDENTIALS: { description: 'Machine to machine: the client gets tokens acting as itself, with the permissions granted to it' },
  },
});

const dateOrNull = (value: string | null) => (value === null ? null : new Date(value));

@ObjectType('AuthClientSecret', { simpleResolvers: true, description: 'A secret of an auth client; the secret itself is shown only once, when made' })
export class AuthClientSecretType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'The first characters of the secret, to tell secrets apart; not a secret' })
  prefix!: string;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it stops working: set on the previous secret by a rotation; null for the current one' })
  expiresAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it last authenticated the client, to the minute; null if never' })
  lastUsedAt!: Date | null;

  static from(secret: AuthClientSecretSummary): AuthClientSecretType {
    return Object.assign(new AuthClientSecretType(), {
      id: secret.id,
      prefix: secret.prefix,
      createdAt: new Date(secret.createdAt),
      expiresAt: dateOrNull(secret.expiresAt),
      lastUsedAt: dateOrNull(secret.lastUsedAt),
    });
  }
}

@ObjectType('AuthClient', { simpleResolvers: true, description: 'An application allowed to call the API; its id is the OAuth client_id' })
export class AuthClientType {
  @Field(() => ID, { description: 'The OAuth client_id' })
  id!: string;

  @Field()
  name!: string;

  @Field(() => [AuthClientGrant])
  grants!: AuthClientGrant[];

  @Field(() => [String], { description: 'Where the Authorization Code grant may send users back to' })
  redirectUris!: string[];

  @Field(() => [String], {
    description: 'The scopes the client may ask for: openid, profile, email and offline_access always, and the API scopes listed for it',
  })
  scopes!: string[];

  /** Resolved by AuthClientResolver.secretPrefix. */
  @Field({ description: 'The first characters of the current (newest) client secret, to tell secrets apart; not a secret. Empty for a public client, which has none' })
  secretPrefix!: string;

  @Field(() => [AuthClientSecretType], {
    description: 'The secrets that work now, newest first: the current one, and the previous one while a rotation overlaps (at most 2)',
  })
  secrets!: AuthClientSecretType[]; // resolved by AuthClientResolver.secrets

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;

  @Field({ description: 'A disabled client gets no tokens and its tokens are refused; enabling it brings back those not yet expired' })
  enabled!: boolean;

  @Field({ description: 'A trusted first-party app: its users are not asked for consent' })
  skipConsent!: boolean;

  @Field({ description: 'False for a public client (a browser or native app): it has no secret and must use PKCE' })
  confidential!: boolean;

  @Field({
    description: 'Kept by the service itself (the Admin Console client): it cannot be deleted, disabled or made confidential, '
      + 'and only its token lifetimes can be changed',
  })
  builtIn!: boolean;

  @Field(() => Int, { description: 'Seconds an access token issued from now on lives (60 to 86400)' })
  accessTokenLifetime!: number;

  @Field(() => Int, { description: 'Seconds a refresh token issued from now on lives (3600 to 31536000)' })
  refreshTokenLifetime!: number;

  @Field(() => DateTimeISO, { nullable: true, description: 'The last token issued to it or introspection by it, to the minute; null if never' })
  lastUsedAt!: Date | null;

  /** Resolved by AuthClientResolver.createdBy. */
  createdById!: string | null;

  /** The working secrets, when read with the client; otherwise AuthClientResolver reads them if secrets are asked for. */
  loadedSecrets?: AuthClientSecretSummary[];

  static from(entity: AuthClientRecord): AuthClientType {
    return Object.assign(new AuthClientType(), {
      id: entity.id,
      name: entity.name,
      grants: entity.grants,
      redirectUris: entity.redirectUris,
      scopes: [...OIDC_SCOPE_NAMES, ...entity.scopes],
      createdAt: entity.createdAt,
      updatedAt: entity.updatedAt,
      enabled: entity.enabled,
      skipConsent: entity.skipConsent,
      confidential: entity.confidential,
      builtIn: entity.builtIn !== null,
      accessTokenLifetime: entity.accessTokenLifetime,
      refreshTokenLifetime: entity.refreshTokenLifetime,
      lastUsedAt: entity.lastUsedAt,
      createdById: entity.createdById,
      loadedSecrets: entity.secrets,
    });
  }
}

@ObjectType('AuthClientConnection', { simpleResolvers: true, description: 'A page of auth clients, sorted by name' })
export class AuthClientConnection extends Connection('AuthClient', AuthClientType) {}

@ObjectType('CreateAuthClientPayload', { simpleResolvers: true })
export class CreateAuthClientPayload {
  @Field(() => AuthClientType)
  authClient!: AuthClientType;

  @Field(() => String, { nullable: true, description: 'The client secret. Shown only here, once: store it now. Null for a public client, which has none' })
  clientSecret!: string | null;
}

@ObjectType('MakeAuthClientConfidentialPayload', { simpleResolvers: true })
export class MakeAuthClientConfidentialPayload {
  @Field(() => AuthClientType)
  authClient!: AuthClientType;

  @Field({ description: 'Its client secret. Shown only here, once: store it now' })
  clientSecret!: string;
}

@ObjectType('RevokeAuthClientTokensPayload', { simpleResolvers: true })
export class RevokeAuthClientTokensPayload {
  @Field(() => AuthClientType)
  authClient!: AuthClientType;

  @Field(() => Int, { description: 'How many access tokens, refresh tokens, authorization codes and personal access tokens were revoked' })
  revokedCount!: number;
}

@ObjectType('DeleteAuthClientPayload', { simpleResolvers: true })
export class DeleteAuthClientPayload {
  @Field(() => ID)
  deletedAuthClientId!: string;
}

@ObjectType('RotateAuthClientSecretPayload', { simpleResolvers: true })
export class RotateAuthClientSecretPayload {
  @Field(() => AuthClientType)
  authClient!: AuthClientType;

  @Field({ description: 'The new client secret. Shown only here, once: store it now' })
  clientSecret!: string;
}
