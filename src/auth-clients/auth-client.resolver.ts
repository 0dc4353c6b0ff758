// Thin GraphQL resolvers for auth clients: parse arguments, call the service, shape the result.
import {
  Arg, Ctx, ID, Int, Mutation, Query, Resolver,
} from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { AuthClientService } from './auth-client.service.js';
import {
  AuthClientConnection, AuthClientType, CreateAuthClientPayload,
} from './auth-client.type.js';
import { CreateAuthClientInput } from './auth-client.input.js';

@Resolver(() => AuthClientType)
export class AuthClientResolver {
  constructor(private readonly service: AuthClientService) {}

  @Query(() => AuthClientConnection, { description: 'Auth clients sorted by name. Needs view-auth_clients' })
  async authClients(
    @Ctx() { em }: Context,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('search', () => String, { nullable: true, description: 'Part of the name, any case' }) search: string | null,
  ): Promise<AuthClientConnection> {
    const page = await this.service.list(em, { first, after, search });
    const edges = page.authClients.map((authClient) => ({ cursor: page.cursorOf(authClient), node: AuthClientType.from(authClient) }));
    return {
      edges,
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: Boolean(after),
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      totalCount: page.totalCount,
    };
  }

  @Query(() => AuthClientType, { nullable: true, description: 'One auth client, or null. Needs view-auth_clients' })
  async authClient(@Ctx() { em }: Context, @Arg('id', () => ID) id: string): Promise<AuthClientType | null> {
    const authClient = await this.service.findById(em, id);
    return authClient && AuthClientType.from(authClient);
  }

  @Mutation(() => CreateAuthClientPayload, { description: 'Registers an application. Needs create-auth_clients' })
  async createAuthClient(@Ctx() { em, viewer }: Context, @Arg('input') input: CreateAuthClientInput): Promise<CreateAuthClientPayload> {
    const { authClient, clientSecret } = await this.service.create(em, input, viewer?.user);
    return { authClient: AuthClientType.from(authClient), clientSecret };
  }
}
