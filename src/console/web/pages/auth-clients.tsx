// The "Auth Clients" page of the product description: the clients in a searchable, paged table, with create, edit
// and delete for those allowed.
import { useDeferredValue, useEffect, useState } from 'react';
import { gql, type TypedDocumentNode } from '@apollo/client';
import { useQuery } from '@apollo/client/react';
import { followLink, hrefOf, usePath } from '../router';
import { CursorTable, useCursorPages, type Column } from '../ui/cursor-table';
import { formatTime } from '../ui/format';
import { SearchableListHeader, SearchEmptyState } from '../ui/list-header';
import { ErrorMessage } from '../ui/states';
import { useViewer } from '../viewer';
import { CreateAuthClientDialog } from './create-auth-client';
import { DeleteAuthClientDialog, EditAuthClientPage } from './edit-auth-client';

export const GRANT_LABELS: Record<string, string> = {
  AUTHORIZATION_CODE: 'Authorization Code',
  PASSWORD: 'Password',
  PERSONAL_ACCESS: 'Personal Access Tokens',
  CLIENT_CREDENTIALS: 'Client Credentials',
};

export interface AuthClientRow {
  id: string;
  name: string;
  grants: string[];
  redirectUris: string[];
  createdAt: string;
  lastUsedAt: string | null;
  enabled: boolean;
  builtIn: boolean;
}

const PAGE_SIZE = 20;

export const AUTH_CLIENTS_QUERY: TypedDocumentNode<
  { authClients: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: AuthClientRow }> } },
  { first: number; after?: string; search?: string }
> = gql`
  query ConsoleAuthClients($first: Int!, $after: String, $search: String) {
    authClients(first: $first, after: $after, search: $search) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id name grants redirectUris createdAt lastUsedAt enabled builtIn } }
    }
  }
`;

/** /auth-clients, and /auth-clients/<id> for "Edit Auth Client". */
export function AuthClientsPage() {
  const path = usePath();
  const id = /^\/auth-clients\/([^/]+)$/.exec(path)?.[1];
  return id ? <EditAuthClientPage id={decodeURIComponent(id)} /> : <AuthClientList />;
}

function AuthClientList() {
  const { may } = useViewer();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<AuthClientRow | undefined>();
  const [search, setSearch] = useState('');
  const deferredSearch = useDeferredValue(search.trim());
  const pages = useCursorPages();
  const { reset } = pages;
  useEffect(reset, [deferredSearch]);
  const { data, previousData, loading, error } = useQuery(AUTH_CLIENTS_QUERY, {
    variables: { first: PAGE_SIZE, after: pages.after, search: deferredSearch || undefined },
    notifyOnNetworkStatusChange: true,
  });
  const connection = (data ?? previousData)?.authClients;

  const columns: Array<Column<AuthClientRow>> = [
    { header: 'Name', cell: (client) => client.name },
    { header: 'Grants', cell: (client) => client.grants.map((grant) => GRANT_LABELS[grant] ?? grant).join(', ') },
    {
      header: 'Redirect URLs',
      cell: (client) => (client.redirectUris.length === 0 ? '—' : (
        <ul>{client.redirectUris.map((uri) => <li key={uri} className="url">{uri}</li>)}</ul>
      )),
    },
    { header: 'Created', cell: (client) => formatTime(client.createdAt) },
    { header: 'Last used', cell: (client) => formatTime(client.lastUsedAt) },
    {
      header: 'Enabled',
      cell: (client) => <span className={client.enabled ? 'badge on' : 'badge off'}>{client.enabled ? 'Enabled' : 'Disabled'}</span>,
    },
  ];
  const mayEdit = may('edit-auth_clients');
  const mayDelete = may('delete-auth_clients');
  if (mayEdit || mayDelete) {
    columns.push({
      header: 'Actions',
      className: 'actions-cell',
      cell: (client) => (
        <>
          {mayEdit ? (
            <a className="button-link" href={hrefOf(`/auth-clients/${client.id}`)} onClick={(event) => followLink(event, `/auth-clients/${client.id}`)}>
              {'Edit'}
              <span className="visually-hidden">{` ${client.name}`}</span>
            </a>
          ) : null}
          {mayDelete && !client.builtIn ? (
            <button type="button" className="link danger-text" onClick={() => setDeleting(client)}>
              {'Delete'}
              <span className="visually-hidden">{` ${client.name}`}</span>
            </button>
          ) : null}
        </>
      ),
    });
  }

  return (
    <section aria-labelledby="auth-clients-title">
      <SearchableListHeader
        titleId="auth-clients-title"
        title="Auth Clients"
        create={may('create-auth_clients') ? { label: '+ Auth Client', onClick: () => setCreating(true) } : null}
        search={search}
        onSearch={setSearch}
        placeholder="Part of the name"
      />
      <ErrorMessage error={error} />
      <CursorTable
        caption="Auth Clients"
        columns={columns}
        connection={connection}
        pages={pages}
        loading={loading}
        empty={<SearchEmptyState search={deferredSearch} noun="auth client" />}
      />
      {creating ? <CreateAuthClientDialog onClose={() => setCreating(false)} /> : null}
      {deleting ? (
        <DeleteAuthClientDialog client={deleting} onCancel={() => setDeleting(undefined)} onDeleted={() => setDeleting(undefined)} />
      ) : null}
    </section>
  );
}
