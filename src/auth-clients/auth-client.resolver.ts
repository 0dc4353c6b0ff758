// Thin GraphQL resolvers for auth clients: parse arguments, call the service, shape the result.
import {
  Arg, Args, Ctx, ID, Int, Mutation, Query, Resolver,
} from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { toConnection } from '../graphql/connection.js';
import { AuthClientService, DEFAULT_PREVIOUS_SECRET_EXPIRES_IN } from './auth-client.service.js';
import {
  AuthClientConnection, AuthClientType, CreateAuthClientPayload, RotateAuthClientSecretPayload,
} from './auth-client.type.js';
import { AuthClientsArgs, CreateAuthClientInput } from './auth-client.input.js';

@Resolver(() => AuthClientType)
export class AuthClientResolver {
  constructor(private readonly service: AuthClientService) {}

  @Query(() => AuthClientConnection, { description: 'Auth clients sorted by name. Needs view-auth_clients and the scope auth_clients:read' })
  async authClients(@Args() { first, after, search }: AuthClientsArgs): Promise<AuthClientConnection> {
    return toConnection(await this.service.list({ first: first ?? 50, after, search }), after, (authClient) => AuthClientType.from(authClient));
  }

  @Query(() => AuthClientType, { nullable: true, description: 'One auth client, or null. Needs view-auth_clients and the scope auth_clients:read' })
  async authClient(@Arg('id', () => ID) id: string): Promise<AuthClientType | null> {
    const authClient = await this.service.findById(id);
    return authClient && AuthClientType.from(authClient);
  }

  @Mutation(() => CreateAuthClientPayload, { description: 'Registers an application. Needs create-auth_clients and the scope auth_clients:write' })
  async createAuthClient(@Ctx() { viewer }: Context, @Arg('input') input: CreateAuthClientInput): Promise<CreateAuthClientPayload> {
    const { authClient, clientSecret } = await this.service.create(input, viewer?.user);
    return { authClient: AuthClientType.from(authClient), clientSecret };
  }

  @Mutation(() => RotateAuthClientSecretPayload, {
    description: 'Gives the client a new secret, shown only in the answer. The previous one keeps working for previousSecretExpiresIn seconds; '
      + 'a rotation while an older secret still overlaps ends that older one at once (at most 2 work). Needs edit-auth_clients and the scope auth_clients:write',
  })
  async rotateAuthClientSecret(
    @Arg('id', () => ID) id: string,
    @Arg('previousSecretExpiresIn', () => Int, {
      nullable: true,
      defaultValue: DEFAULT_PREVIOUS_SECRET_EXPIRES_IN,
      description: 'Seconds the previous secret keeps working: 0 (it stops now) to 2592000 (30 days); a day by default',
    }) previousSecretExpiresIn: number | null,
  ): Promise<RotateAuthClientSecretPayload> {
    const { authClient, clientSecret } = await this.service.rotateSecret(id, previousSecretExpiresIn ?? DEFAULT_PREVIOUS_SECRET_EXPIRES_IN);
    return { authClient: AuthClientType.from(authClient), clientSecret };
  }

  @Mutation(() => AuthClientType, {
    description: 'Ends one of the client\'s secrets at once; never its last one. Ending the current one makes the previous one current again. '
      + 'Needs edit-auth_clients and the scope auth_clients:write',
  })
  async revokeAuthClientSecret(@Arg('id', () => ID) id: string, @Arg('secretId', () => ID) secretId: string): Promise<AuthClientType> {
    return AuthClientType.from(await this.service.revokeSecret(id, secretId));
  }
}
