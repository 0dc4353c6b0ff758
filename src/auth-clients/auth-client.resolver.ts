// Thin GraphQL resolvers for auth clients: parse arguments, call the service, shape the result.
import {
  Arg, Args, Ctx, ID, Mutation, Query, Resolver,
} from 'type-graphql';
import { auditSourceOf, type Context } from '../graphql/context.js';
import { toConnection } from '../graphql/connection.js';
import { AuthClientService } from './auth-client.service.js';
import {
  AuthClientConnection, AuthClientType, CreateAuthClientPayload,
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
  async createAuthClient(@Ctx() context: Context, @Arg('input') input: CreateAuthClientInput): Promise<CreateAuthClientPayload> {
    const { authClient, clientSecret } = await this.service.create(input, context.viewer?.user, auditSourceOf(context));
    return { authClient: AuthClientType.from(authClient), clientSecret };
  }
}
