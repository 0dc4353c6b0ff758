// GraphQL over plain HTTP, as any client would send it.
export interface GraphQLResult<Data = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: Data | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>;
}

export async function graphql<Data = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphQLResult<Data>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json() as Omit<GraphQLResult<Data>, 'status' | 'headers'>;
  return { status: response.status, headers: response.headers, ...body };
}

export const CREATE_AUTH_CLIENT = `mutation Create($input: CreateAuthClientInput!) {
  createAuthClient(input: $input) {
    clientSecret
    authClient { id name grants redirectUris secretPrefix createdAt }
  }
}`;

export const LIST_AUTH_CLIENTS = `query List($first: Int, $after: String, $search: String) {
  authClients(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name grants redirectUris secretPrefix } }
  }
}`;
