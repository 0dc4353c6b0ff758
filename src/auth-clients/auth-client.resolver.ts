// Thin GraphQL resolvers for auth clients: parse arguments, call the service, shape the result.
import type { GraphQLResolveInfo } from 'graphql';
import {
  Arg, Args, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root,
} from 'type-graphql';
import { AccessControlService } from '../access-control/access-control.service.js';
import { UserType } from '../users/user.type.js';
import type { ViewerRecord } from '../users/user.service.js';
import { auditSourceOf, type Context } from '../graphql/context.js';
import { perRequestBatch } from '../graphql/batch.js';
import { toConnection } from '../graphql/connection.js';
import { AuthClientService, DEFAULT_PREVIOUS_SECRET_EXPIRES_IN, type AuthClientSecretSummary } from './auth-client.service.js';
import {
  AuthClientConnection, AuthClientType, CreateAuthClientPayload, DeleteAuthClientPayload, RevokeAuthClientTokensPayload,
  RotateAuthClientSecretPayload, AuthClientSecretType, MakeAuthClientConfidentialPayload,
} from './auth-client.type.js';
import { AuthClientsArgs, CreateAuthClientInput, UpdateAuthClientInput } from './auth-client.input.js';

const accessControl = new AccessControlService();

@Resolver(() => AuthClientType)
export class AuthClientResolver {
  // What a list's items ask for, read in one query per request (graphql/batch.ts).
  readonly #creators: (context: object, id: string) => Promise<ViewerRecord | undefined>;
  readonly #secrets: (context: object, id: string) => Promise<AuthClientSecretSummary[] | undefined>;

  constructor(private readonly service: AuthClientService) {
    this.#creators = perRequestBatch((ids: string[]) => service.findCreators(ids));
    this.#secrets = perRequestBatch((ids: string[]) => service.secretsOf(ids));
  }

  @Query(() => AuthClientConnection, { description: 'Auth clients sorted by name. Needs view-auth_clients and the scope auth_clients:read' })
  async authClients(@Args() {
    first, after, search, enabled, unusedSince,
  }: AuthClientsArgs): Promise<AuthClientConnection> {
    return toConnection(
      await this.service.list({
        first: first ?? 50, after, search, enabled, unusedSince,
      }),
      after,
      (authClient) => AuthClientType.from(authClient),
    );
  }

  @Query(() => AuthClientType, { nullable: true, description: 'One auth client, or null. Needs view-auth_clients and the scope auth_clients:read' })
  async authClient(@Arg('id', () => ID) id: string): Promise<AuthClientType | null> {
    const authClient = await this.service.findById(id);
    return authClient && AuthClientType.from(authClient);
  }

  @Mutation(() => CreateAuthClientPayload, { description: 'Registers an application. Needs create-auth_clients and the scope auth_clients:write' })
  async createAuthClient(@Ctx() context: Context, @Info() info: GraphQLResolveInfo, @Arg('input') input: CreateAuthClientInput): Promise<CreateAuthClientPayload> {
    const { authClient, clientSecret, heard } = await this.service.create(input, context.viewer?.user ?? undefined, auditSourceOf(context));
    context.changesHeard.set(String(info.path.key), heard);
    return { authClient: AuthClientType.from(authClient), clientSecret };
  }

  @Mutation(() => AuthClientType, { description: 'Changes a client; removing a grant or scope revokes the tokens it covered. Needs edit-auth_clients and the scope auth_clients:write' })
  async updateAuthClient(@Ctx() context: Context, @Arg('input') { id, ...changes }: UpdateAuthClientInput): Promise<AuthClientType> {
    return AuthClientType.from(await this.service.update(id, changes, auditSourceOf(context)));
  }

  @Mutation(() => AuthClientType, { description: 'No new tokens, and its tokens are refused until enabled again. Needs edit-auth_clients and the scope auth_clients:write' })
  async disableAuthClient(@Ctx() context: Context, @Arg('id', () => ID) id: string): Promise<AuthClientType> {
    return AuthClientType.from(await this.service.setEnabled(id, false, auditSourceOf(context)));
  }

  @Mutation(() => AuthClientType, { description: 'Its unexpired tokens work again. Needs edit-auth_clients and the scope auth_clients:write' })
  async enableAuthClient(@Ctx() context: Context, @Arg('id', () => ID) id: string): Promise<AuthClientType> {
    return AuthClientType.from(await this.service.setEnabled(id, true, auditSourceOf(context)));
  }

  @Mutation(() => RevokeAuthClientTokensPayload, {
    description: 'The kill switch: revokes every token, code, grant and personal access token of the client, which stays usable. '
      + 'Needs edit-auth_clients and the scope auth_clients:write',
  })
  async revokeAuthClientTokens(@Ctx() context: Context, @Arg('id', () => ID) id: string): Promise<RevokeAuthClientTokensPayload> {
    const { authClient, revokedCount } = await this.service.revokeTokens(id, auditSourceOf(context));
    return { authClient: AuthClientType.from(authClient), revokedCount };
  }

  @Mutation(() => DeleteAuthClientPayload, { description: 'Deletes the client and revokes everything it issued, for good. Needs delete-auth_clients and the scope auth_clients:write' })
  async deleteAuthClient(@Ctx() context: Context, @Arg('id', () => ID) id: string): Promise<DeleteAuthClientPayload> {
    await this.service.delete(id, auditSourceOf(context));
    return { deletedAuthClientId: id };
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'Who created it; null when the CLI did, or that user is gone' })
  async createdBy(@Root() authClient: AuthClientType, @Ctx() context: Context): Promise<UserType | null> {
    if (!authClient.createdById) return null;
    const user = await this.#creators(context, authClient.createdById);
    return user ? UserType.from(user, accessControl.effectivePermissions(user)) : null;
  }

  /** A client read in a list comes without its secrets: read them, for the whole page at once, only when asked for. */
  async #secretsOf(authClient: AuthClientType, context: object): Promise<AuthClientSecretSummary[]> {
    return authClient.loadedSecrets ?? await this.#secrets(context, authClient.id) ?? [];
  }

  @FieldResolver()
  async secretPrefix(@Root() authClient: AuthClientType, @Ctx() context: Context): Promise<string> {
    return (await this.#secretsOf(authClient, context))[0]?.prefix ?? '';
  }

  @FieldResolver()
  async secrets(@Root() authClient: AuthClientType, @Ctx() context: Context): Promise<AuthClientSecretType[]> {
    return (await this.#secretsOf(authClient, context)).map((secret) => AuthClientSecretType.from(secret));
  }

  @FieldResolver(() => [String], {
    description: 'The permissions granted to the client, which it holds acting as itself with a client-credentials token; none by default',
  })
  async permissions(@Root() authClient: AuthClientType): Promise<string[]> {
    return this.service.permissionsOf(authClient.id);
  }

  @Mutation(() => RotateAuthClientSecretPayload, {
    description: 'Gives the client a new secret, shown only in the answer. The previous one keeps working for previousSecretExpiresIn seconds; '
      + 'a rotation while an older secret still overlaps ends that older one at once (at most 2 work). Needs edit-auth_clients and the scope auth_clients:write',
  })
  async rotateAuthClientSecret(
    @Ctx() context: Context,
    @Arg('id', () => ID) id: string,
    @Arg('previousSecretExpiresIn', () => Int, {
      nullable: true,
      defaultValue: DEFAULT_PREVIOUS_SECRET_EXPIRES_IN,
      description: 'Seconds the previous secret keeps working: 0 (it stops now) to 2592000 (30 days); a day by default',
    }) previousSecretExpiresIn: number | null,
  ): Promise<RotateAuthClientSecretPayload> {
    const { authClient, clientSecret } = await this.service.rotateSecret(id, previousSecretExpiresIn ?? DEFAULT_PREVIOUS_SECRET_EXPIRES_IN, auditSourceOf(context));
    return { authClient: AuthClientType.from(authClient), clientSecret };
  }

  @Mutation(() => MakeAuthClientConfidentialPayload, {
    description: 'Makes a public client confidential, with a secret shown only in the answer; its tokens stay, and refreshing them needs the secret. '
      + 'Needs edit-auth_clients and the scope auth_clients:write',
  })
  async makeAuthClientConfidential(@Ctx() context: Context, @Arg('id', () => ID) id: string): Promise<MakeAuthClientConfidentialPayload> {
    const { authClient, clientSecret } = await this.service.makeConfidential(id, auditSourceOf(context));
    return { authClient: AuthClientType.from(authClient), clientSecret };
  }

  @Mutation(() => AuthClientType, {
    description: 'Ends one of the client\'s secrets at once; never its last one. Ending the current one makes the previous one current again. '
      + 'Needs edit-auth_clients and the scope auth_clients:write',
  })
  async revokeAuthClientSecret(@Ctx() context: Context, @Arg('id', () => ID) id: string, @Arg('secretId', () => ID) secretId: string): Promise<AuthClientType> {
    return AuthClientType.from(await this.service.revokeSecret(id, secretId, auditSourceOf(context)));
  }
}
