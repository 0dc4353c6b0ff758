// Thin GraphQL resolvers for the signed-in user's own personal access tokens.
import {
  Arg, Args, Ctx, ID, Mutation, Query, Resolver,
} from 'type-graphql';
import { auditSourceOf, type Context } from '../graphql/context.js';
import { toConnection } from '../graphql/connection.js';
import { NotAuthenticated } from '../shared/errors.js';
import { PersonalAccessTokenService } from './personal-access-token.service.js';
import {
  CreatePersonalAccessTokenPayload, PersonalAccessTokenConnection, PersonalAccessTokenType,
} from './personal-access-token.type.js';
import { CreatePersonalAccessTokenInput, PersonalAccessTokensArgs } from './personal-access-token.input.js';

function viewerOf({ viewer }: Context) {
  // The rules let no anonymous call through, nor a client acting as itself; this keeps types honest.
  if (!viewer?.user) throw new NotAuthenticated();
  return viewer.user;
}

@Resolver(() => PersonalAccessTokenType)
export class PersonalAccessTokenResolver {
  constructor(private readonly service: PersonalAccessTokenService) {}

  @Query(() => PersonalAccessTokenConnection, { description: 'Your personal access tokens, newest first. Needs the personal_access_tokens scope' })
  async personalAccessTokens(@Ctx() context: Context, @Args() { first, after }: PersonalAccessTokensArgs): Promise<PersonalAccessTokenConnection> {
    return toConnection(await this.service.list(context.em, viewerOf(context), first ?? 50, after), after, (token) => PersonalAccessTokenType.from(token));
  }

  @Mutation(() => CreatePersonalAccessTokenPayload, { description: 'Creates a token for you, with at most the scopes your own token holds. Needs the personal_access_tokens scope' })
  async createPersonalAccessToken(@Ctx() context: Context, @Arg('input') input: CreatePersonalAccessTokenInput): Promise<CreatePersonalAccessTokenPayload> {
    const { personalAccessToken, token } = await this.service.create(context.em, viewerOf(context), input, context.viewer!.scopes, auditSourceOf(context));
    return { personalAccessToken: PersonalAccessTokenType.from(personalAccessToken), token };
  }

  @Mutation(() => PersonalAccessTokenType, { description: 'Revokes one of your tokens; it stops working at once. Needs the personal_access_tokens scope' })
  async revokePersonalAccessToken(@Ctx() context: Context, @Arg('id', () => ID) id: string): Promise<PersonalAccessTokenType> {
    return PersonalAccessTokenType.from(await this.service.revoke(context.em, viewerOf(context), id, auditSourceOf(context)));
  }
}
