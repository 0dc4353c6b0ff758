// The "My Tokens" page: the signed-in user's personal access tokens; create one (its value shown once), list, revoke.
import { useId, useState } from 'react';
import { gql, type TypedDocumentNode } from '@apollo/client';
import { useMutation, useQuery } from '@apollo/client/react';
import { CursorTable, useCursorPages, type Column } from '../ui/cursor-table';
import { Dialog } from '../ui/dialog';
import { ErrorSummary, TextField } from '../ui/field';
import { formErrorsOf } from '../ui/errors';
import { formatTime } from '../ui/format';
import { SecretOnce } from '../ui/secret-once';
import {
  BusyButton, EmptyState, ErrorMessage, SubmitOrCancel,
} from '../ui/states';
import { useViewer } from '../viewer';
import './people.css';

interface TokenRow {
  id: string;
  name: string;
  client: { id: string; name: string };
  scopes: string[];
  tokenPrefix: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
}
interface ClientChoice { id: string; name: string; grants: string[]; scopes: string[] }

const PAGE_SIZE = 20;
const TOKEN_FIELDS = 'id name client { id name } scopes tokenPrefix createdAt expiresAt lastUsedAt';
/** What a token may carry (offline_access never), when the client's own list cannot be read. */
const ALL_TOKEN_SCOPES = [
  'openid', 'profile', 'email', 'auth_clients:read', 'auth_clients:write', 'personal_access_tokens',
  'users:read', 'users:write', 'groups:read', 'groups:write', 'audit_log:read',
];

const TOKENS: TypedDocumentNode<
  { personalAccessTokens: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: TokenRow }> } },
  { first: number; after?: string }
> = gql`
  query ConsoleMyTokens($first: Int!, $after: String) {
    personalAccessTokens(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${TOKEN_FIELDS} } }
    }
  }
`;
const TOKEN_CLIENTS: TypedDocumentNode<{ authClients: { edges: Array<{ node: ClientChoice }> } }> = gql`
  query ConsoleTokenClients { authClients(first: 100, enabled: true) { edges { node { id name grants scopes } } } }
`;
const CREATE_TOKEN: TypedDocumentNode<
  { createPersonalAccessToken: { token: string; personalAccessToken: TokenRow } },
  { input: { name: string; authClientId: string; scopes: string[]; expiresAt?: string } }
> = gql`
  mutation ConsoleCreateToken($input: CreatePersonalAccessTokenInput!) {
    createPersonalAccessToken(input: $input) { token personalAccessToken { ${TOKEN_FIELDS} } }
  }
`;
const REVOKE_TOKEN: TypedDocumentNode<{ revokePersonalAccessToken: { id: string } }, { id: string }> = gql`
  mutation ConsoleRevokeToken($id: ID!) { revokePersonalAccessToken(id: $id) { id } }
`;

const FIELD_LABELS = {
  name: 'Name', authClientId: 'Auth client', scopes: 'Scopes', expiresAt: 'Expires on',
};

function CreateToken({ onClose }: { onClose: () => void }) {
  const { may } = useViewer();
  const listable = may('view-auth_clients');
  const clients = useQuery(TOKEN_CLIENTS, { skip: !listable });
  const choices = clients.data?.authClients.edges.map(({ node }) => node).filter((client) => client.grants.includes('PERSONAL_ACCESS')) ?? [];
  const [name, setName] = useState('');
  const [clientId, setClientId] = useState('');
  const [expires, setExpires] = useState('');
  const [scopes, setScopes] = useState<Set<string>>(new Set());
  const [create, { data, loading, error }] = useMutation(CREATE_TOKEN, { refetchQueries: [TOKENS] });
  const errors = formErrorsOf(error);
  const selectId = useId();
  const scopesId = useId();
  const chosen = choices.find((client) => client.id === clientId);
  const offered = chosen ? chosen.scopes.filter((scope) => scope !== 'offline_access') : ALL_TOKEN_SCOPES;

  const created = data?.createPersonalAccessToken;
  if (created) {
    return (
      <Dialog title={`Token ${created.personalAccessToken.name} created`} onClose={onClose}>
        <SecretOnce label="Personal access token" secret={created.token} />
        <p className="hint">Send it as &quot;Authorization: Bearer &lt;token&gt;&quot;.</p>
        <div className="actions"><button type="button" onClick={onClose}>Done</button></div>
      </Dialog>
    );
  }
  return (
    <Dialog title="Create A Personal Access Token" onClose={onClose}>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          create({
            variables: {
              input: {
                name: name.trim(),
                authClientId: clientId.trim(),
                scopes: offered.filter((scope) => scopes.has(scope)),
                // The end of the chosen day, where the person is.
                ...(expires ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() } : {}),
              },
            },
          }).catch(() => { /* shown beside the fields */ });
        }}
      >
        <TextField label="Name" value={name} onChange={setName} error={errors.fields.name} required autoComplete="off" autoFocus />
        {listable ? (
          <div className={`field${errors.fields.authClientId ? ' field-invalid' : ''}`}>
            <label htmlFor={selectId}>Auth client</label>
            <select
              id={selectId}
              value={clientId}
              onChange={(event) => setClientId(event.target.value)}
              aria-invalid={errors.fields.authClientId ? true : undefined}
              aria-describedby={errors.fields.authClientId ? `${selectId}-error` : undefined}
            >
              <option value="">{clients.loading ? 'Loading…' : choices.length === 0 ? 'No client allows Personal Access Tokens' : 'Choose a client…'}</option>
              {choices.map((client) => <option key={client.id} value={client.id}>{client.name}</option>)}
            </select>
            {errors.fields.authClientId ? <p className="field-error" id={`${selectId}-error`}>{errors.fields.authClientId}</p> : null}
          </div>
        ) : (
          <TextField
            label="Auth client"
            value={clientId}
            onChange={setClientId}
            error={errors.fields.authClientId}
            hint="The ID of an auth client that allows Personal Access Tokens (ask your Administrator)."
            autoComplete="off"
          />
        )}
        <fieldset className={`permission-group${errors.fields.scopes ? ' field-invalid' : ''}`} aria-describedby={errors.fields.scopes ? `${scopesId}-error` : undefined}>
          <legend>Scopes</legend>
          {offered.map((scope) => (
            <div className="checkbox" key={scope}>
              <input
                type="checkbox"
                id={`${scopesId}-${scope}`}
                checked={scopes.has(scope)}
                onChange={(event) => {
                  const next = new Set(scopes);
                  if (event.target.checked) next.add(scope);
                  else next.delete(scope);
                  setScopes(next);
                }}
              />
              <label htmlFor={`${scopesId}-${scope}`}>{scope}</label>
            </div>
          ))}
          {errors.fields.scopes ? <p className="field-error" id={`${scopesId}-error`}>{errors.fields.scopes}</p> : null}
        </fieldset>
        <TextField label="Expires on" type="date" value={expires} onChange={setExpires} error={errors.fields.expiresAt} hint="Empty: the longest allowed (a year by default)." />
        <ErrorSummary fields={errors.fields} labels={FIELD_LABELS} />
        <ErrorMessage error={errors.general} />
        <SubmitOrCancel busy={loading} onCancel={onClose} label="Create" busyLabel="Creating…" />
      </form>
    </Dialog>
  );
}

function RevokeToken({ token, onClose }: { token: TokenRow; onClose: () => void }) {
  const [revoke, { loading, error }] = useMutation(REVOKE_TOKEN, { refetchQueries: [TOKENS] });
  return (
    <Dialog title={`Revoke token ${token.name}`} onClose={onClose}>
      <p>{`It stops working at once, for every script and tool that uses it (${token.tokenPrefix}…).`}</p>
      <ErrorMessage error={error ? formErrorsOf(error).general ?? error.message : undefined} />
      <div className="actions">
        <BusyButton
          type="button"
          className="danger"
          busy={loading}
          busyLabel="Revoking…"
          onClick={() => { revoke({ variables: { id: token.id } }).then(onClose, () => { /* shown above */ }); }}
        >
          Revoke
        </BusyButton>
        <button type="button" className="secondary" onClick={onClose} autoFocus>Cancel</button>
      </div>
    </Dialog>
  );
}

export function MyTokensPage() {
  const pages = useCursorPages();
  const [dialog, setDialog] = useState<{ kind: 'create' } | { kind: 'revoke'; token: TokenRow } | null>(null);
  const { data, previousData, loading, error } = useQuery(TOKENS, {
    variables: { first: PAGE_SIZE, after: pages.after },
    notifyOnNetworkStatusChange: true,
  });
  const connection = (data ?? previousData)?.personalAccessTokens;
  const columns: Array<Column<TokenRow>> = [
    { header: 'Name', cell: (token) => token.name },
    { header: 'Client', cell: (token) => token.client.name },
    { header: 'Scopes', cell: (token) => (token.scopes.length === 0 ? '—' : token.scopes.join(' ')) },
    { header: 'Token', cell: (token) => <code>{`${token.tokenPrefix}…`}</code> },
    { header: 'Created', cell: (token) => formatTime(token.createdAt) },
    { header: 'Expires', cell: (token) => formatTime(token.expiresAt) },
    { header: 'Last used', cell: (token) => formatTime(token.lastUsedAt) },
    {
      header: 'Actions',
      cell: (token) => (
        <button type="button" className="danger" aria-label={`Revoke ${token.name}`} onClick={() => setDialog({ kind: 'revoke', token })}>Revoke</button>
      ),
    },
  ];
  return (
    <section aria-labelledby="my-tokens-title">
      <div className="page-header">
        <h1 id="my-tokens-title">My Tokens</h1>
        <button type="button" onClick={() => setDialog({ kind: 'create' })}>+ Token</button>
      </div>
      <p className="hint">Personal access tokens act as you, for scripts and tools, with the scopes you give them.</p>
      <ErrorMessage error={error} />
      <CursorTable
        caption="My personal access tokens"
        columns={columns}
        connection={connection}
        pages={pages}
        loading={loading}
        empty={<EmptyState title="You have no personal access tokens." />}
      />
      {dialog?.kind === 'create' ? <CreateToken onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === 'revoke' ? <RevokeToken token={dialog.token} onClose={() => setDialog(null)} /> : null}
    </section>
  );
}
