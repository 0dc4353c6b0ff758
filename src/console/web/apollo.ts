// The console's Apollo Client: /graphql with the signed-in user's access token; no token means a silent sign-in.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { accessToken, signIn } from './sign-in';

export function createApolloClient(graphqlUrl: string): ApolloClient {
  const auth = new SetContextLink(async ({ headers }) => {
    const token = accessToken();
    // Expired or never had: the provider's session signs in again without a prompt, then the page reloads.
    if (!token) await signIn({ silent: true });
    return { headers: { ...(headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } };
  });
  const expired = new ErrorLink(({ error }) => {
    if (CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) {
      void signIn({ silent: true });
    }
  });
  return new ApolloClient({
    link: ApolloLink.from([expired, auth, new HttpLink({ uri: graphqlUrl })]),
    cache: new InMemoryCache(),
    defaultOptions: { watchQuery: { fetchPolicy: 'cache-and-network' } },
  });
}
