// "Edit Auth Client" (/auth-clients/<id>): every field of updateAuthClient, secret rotation with the old secret's
// expiry chosen, Disable/Enable, "Revoke all tokens" and "Delete" (both confirmed by typing the name).
import { useEffect, useState } from 'react';
import { gql, type TypedDocumentNode } from '@apollo/client';
import { useMutation, useQuery } from '@apollo/client/react';
import { followLink, hrefOf, navigate } from '../router';
import { ConfirmByName } from '../ui/confirm-by-name';
import { formErrorsOf, NO_ERRORS } from '../ui/errors';
import { formatTime } from '../ui/format';
import { SecretOnce } from '../ui/secret-once';
import { BusyButton, ErrorMessage, Loading } from '../ui/states';
import { useViewer } from '../viewer';
import {
  AuthClientFormFields, inputOf, type AuthClientFields, type Grant,
} from './auth-client-form';

interface Secret {
  id: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

interface AuthClientDetails {
  id: string;
  name: string;
  grants: Grant[];
  redirectUris: string[];
  scopes: string[];
  confidential: boolean;
  builtIn: boolean;
  skipConsent: boolean;
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
  secrets: Secret[];
}

const DETAILS = gql`
  fragment ConsoleAuthClientDetails on AuthClient {
    id name grants redirectUris scopes confidential builtIn skipConsent accessTokenLifetime refreshTokenLifetime enabled
    createdAt updatedAt lastUsedAt
    secrets { id prefix createdAt expiresAt lastUsedAt }
  }
`;

const AUTH_CLIENT: TypedDocumentNode<{ authClient: AuthClientDetails | null }, { id: string }> = gql`
  query ConsoleAuthClient($id: ID!) { authClient(id: $id) { ...ConsoleAuthClientDetails } }
  ${DETAILS}
`;
const UPDATE: TypedDocumentNode<{ updateAuthClient: AuthClientDetails }, { input: Record<string, unknown> }> = gql`
  mutation ConsoleUpdateAuthClient($input: UpdateAuthClientInput!) { updateAuthClient(input: $input) { ...ConsoleAuthClientDetails } }
  ${DETAILS}
`;
const ROTATE: TypedDocumentNode<{ rotateAuthClientSecret: { clientSecret: string; authClient: AuthClientDetails } }, { id: string; previousSecretExpiresIn: number }> = gql`
  mutation ConsoleRotateSecret($id: ID!, $previousSecretExpiresIn: Int!) {
    rotateAuthClientSecret(id: $id, previousSecretExpiresIn: $previousSecretExpiresIn) { clientSecret authClient { ...ConsoleAuthClientDetails } }
  }
  ${DETAILS}
`;
const DISABLE: TypedDocumentNode<{ disableAuthClient: AuthClientDetails }, { id: string }> = gql`
  mutation ConsoleDisableAuthClient($id: ID!) { disableAuthClient(id: $id) { ...ConsoleAuthClientDetails } }
  ${DETAILS}
`;
const ENABLE: TypedDocumentNode<{ enableAuthClient: AuthClientDetails }, { id: string }> = gql`
  mutation ConsoleEnableAuthClient($id: ID!) { enableAuthClient(id: $id) { ...ConsoleAuthClientDetails } }
  ${DETAILS}
`;
const MAKE_CONFIDENTIAL: TypedDocumentNode<{ makeAuthClientConfidential: { clientSecret: string; authClient: AuthClientDetails } }, { id: string }> = gql`
  mutation ConsoleMakeConfidential($id: ID!) { makeAuthClientConfidential(id: $id) { clientSecret authClient { ...ConsoleAuthClientDetails } } }
  ${DETAILS}
`;
const REVOKE: TypedDocumentNode<{ revokeAuthClientTokens: { revokedCount: number } }, { id: string }> = gql`
  mutation ConsoleRevokeAuthClientTokens($id: ID!) { revokeAuthClientTokens(id: $id) { revokedCount } }
`;
const DELETE_AUTH_CLIENT: TypedDocumentNode<{ deleteAuthClient: { deletedAuthClientId: string } }, { id: string }> = gql`
  mutation ConsoleDeleteAuthClient($id: ID!) { deleteAuthClient(id: $id) { deletedAuthClientId } }
`;

/** How long the old secret keeps working after a rotation (seconds); the API's default is a day. */
const OVERLAPS: Array<{ seconds: number; label: string }> = [
  { seconds: 0, label: 'Stops now' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86400, label: '1 day' },
  { seconds: 7 * 86400, label: '7 days' },
  { seconds: 30 * 86400, label: '30 days' },
];

function fieldsOf(client: AuthClientDetails): AuthClientFields {
  return {
    name: client.name,
    grants: client.grants,
    redirectUris: client.redirectUris.length > 0 ? client.redirectUris : [''],
    confidential: client.confidential,
    scopes: client.scopes.filter((scope) => !['openid', 'profile', 'email', 'offline_access'].includes(scope)),
    skipConsent: client.skipConsent,
    accessTokenLifetime: String(client.accessTokenLifetime),
    refreshTokenLifetime: String(client.refreshTokenLifetime),
  };
}

/** Only what changed: the audit log then says what the person changed, and nothing else is touched. */
function changesOf(before: AuthClientFields, after: AuthClientFields): Record<string, unknown> {
  const old = inputOf(before) as Record<string, unknown>;
  const next = inputOf(after) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(next).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(old[key])));
}

function Settings({ client }: { client: AuthClientDetails }) {
  const [fields, setFields] = useState(() => fieldsOf(client));
  const [update, { loading, error, data, reset }] = useMutation(UPDATE);
  const errors = error ? formErrorsOf(error) : NO_ERRORS;
  const changes = changesOf(fieldsOf(client), fields);
  const dirty = Object.keys(changes).length > 0;
  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          reset();
          update({ variables: { input: { id: client.id, ...changes } } })
            .then(({ data: saved }) => { if (saved) setFields(fieldsOf(saved.updateAuthClient)); })
            .catch(() => {});
        }}
      >
        {client.builtIn ? (
          <p className="hint">The service keeps this client itself (the console and GraphiQL sign in through it): only its token lifetimes can be changed.</p>
        ) : null}
        <AuthClientFormFields fields={fields} onChange={setFields} errors={errors} locked={client.builtIn} />
        <ErrorMessage error={errors.general} />
        <div className="actions">
          <BusyButton type="submit" busy={loading} busyLabel="Saving…" disabled={!dirty}>Save</BusyButton>
          <button type="button" className="secondary" onClick={() => { reset(); setFields(fieldsOf(client)); }} disabled={!dirty}>Undo changes</button>
          <p role="status" className="hint">{data && !dirty ? 'Saved.' : ''}</p>
        </div>
      </form>
    </section>
  );
}

function Secrets({ client }: { client: AuthClientDetails }) {
  const [overlap, setOverlap] = useState(86400);
  const [rotate, { data, loading, error }] = useMutation(ROTATE);
  const [makeConfidential, made] = useMutation(MAKE_CONFIDENTIAL);
  if (!client.confidential) {
    return (
      <section aria-labelledby="secrets-title">
        <h2 id="secrets-title">Secret</h2>
        <p>This public client has no secret: it signs in with its client ID and PKCE.</p>
        {client.builtIn ? null : (
          <BusyButton type="button" className="secondary" busy={made.loading} busyLabel="Making a secret…" onClick={() => { makeConfidential({ variables: { id: client.id } }).catch(() => {}); }}>
            Make confidential (give it a secret)
          </BusyButton>
        )}
        <ErrorMessage error={made.error ? formErrorsOf(made.error).general : undefined} />
      </section>
    );
  }
  return (
    <section aria-labelledby="secrets-title">
      <h2 id="secrets-title">Secret</h2>
      <div className="table-scroll">
        <table>
          <caption className="visually-hidden">Secrets that work now</caption>
          <thead>
            <tr>
              <th scope="col">Starts with</th>
              <th scope="col">Created</th>
              <th scope="col">Stops working</th>
              <th scope="col">Last used</th>
            </tr>
          </thead>
          <tbody>
            {client.secrets.map((secret) => (
              <tr key={secret.id}>
                <td data-label="Starts with"><code>{`${secret.prefix}…`}</code></td>
                <td data-label="Created">{formatTime(secret.createdAt)}</td>
                <td data-label="Stops working">{formatTime(secret.expiresAt, 'Current')}</td>
                <td data-label="Last used">{formatTime(secret.lastUsedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data ? <SecretOnce label="New client secret" secret={data.rotateAuthClientSecret.clientSecret} /> : null}
      {made.data ? <SecretOnce label="Client secret" secret={made.data.makeAuthClientConfidential.clientSecret} /> : null}
      <form
        className="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          rotate({ variables: { id: client.id, previousSecretExpiresIn: overlap } }).catch(() => {});
        }}
      >
        <div className="field">
          <label htmlFor="overlap">The old secret keeps working for</label>
          <select id="overlap" value={overlap} onChange={(event) => setOverlap(Number(event.target.value))}>
            {OVERLAPS.map(({ seconds, label }) => <option key={seconds} value={seconds}>{label}</option>)}
          </select>
        </div>
        <BusyButton type="submit" busy={loading} busyLabel="Rotating…">Rotate secret</BusyButton>
      </form>
      <ErrorMessage error={error ? formErrorsOf(error).general ?? error.message : undefined} />
    </section>
  );
}

function Access({ client, mayDelete }: { client: AuthClientDetails; mayDelete: boolean }) {
  const [disable, disabling] = useMutation(DISABLE);
  const [enable, enabling] = useMutation(ENABLE);
  const [revoke, revoking] = useMutation(REVOKE);
  const [confirming, setConfirming] = useState<'revoke' | 'delete' | undefined>();
  const toggleError = disabling.error ?? enabling.error;
  return (
    <section aria-labelledby="access-title">
      <h2 id="access-title">Access</h2>
      <p>
        {client.enabled
          ? 'Enabled: the client gets tokens and its tokens work.'
          : 'Disabled: the client gets no tokens and its tokens are refused until it is enabled again.'}
      </p>
      <div className="actions">
        {client.builtIn ? null : client.enabled ? (
          <BusyButton type="button" className="secondary" busy={disabling.loading} busyLabel="Disabling…" onClick={() => { disable({ variables: { id: client.id } }).catch(() => {}); }}>Disable</BusyButton>
        ) : (
          <BusyButton type="button" className="secondary" busy={enabling.loading} busyLabel="Enabling…" onClick={() => { enable({ variables: { id: client.id } }).catch(() => {}); }}>Enable</BusyButton>
        )}
        <button type="button" className="secondary" onClick={() => { revoking.reset(); setConfirming('revoke'); }}>Revoke all tokens</button>
        {mayDelete && !client.builtIn ? <button type="button" className="danger" onClick={() => setConfirming('delete')}>Delete</button> : null}
      </div>
      <ErrorMessage error={toggleError ? formErrorsOf(toggleError).general : undefined} />
      <p role="status">{revoking.data && !confirming ? `Revoked ${revoking.data.revokeAuthClientTokens.revokedCount} tokens, codes and grants.` : ''}</p>
      {confirming === 'revoke' ? (
        <ConfirmByName
          title="Revoke all tokens"
          name={client.name}
          action="Revoke all tokens"
          busyLabel="Revoking…"
          busy={revoking.loading}
          error={revoking.error ? formErrorsOf(revoking.error).general : undefined}
          onCancel={() => setConfirming(undefined)}
          onConfirm={() => {
            revoke({ variables: { id: client.id } }).then(() => setConfirming(undefined), () => {});
          }}
        >
          <p>Every access token, refresh token, code and personal access token of this client stops working now. The client itself stays.</p>
        </ConfirmByName>
      ) : null}
      {confirming === 'delete' ? (
        <DeleteAuthClientDialog client={client} onCancel={() => setConfirming(undefined)} onDeleted={() => navigate('/auth-clients')} />
      ) : null}
    </section>
  );
}

/** Deletes the client once its name is typed; the Auth Clients list is fetched again. */
export function DeleteAuthClientDialog({
  client, onCancel, onDeleted,
}: { client: { id: string; name: string }; onCancel: () => void; onDeleted: () => void }) {
  const [remove, { loading, error }] = useMutation(DELETE_AUTH_CLIENT, { refetchQueries: ['ConsoleAuthClients'] });
  return (
    <ConfirmByName
      title="Delete auth client"
      name={client.name}
      action="Delete"
      busyLabel="Deleting…"
      busy={loading}
      error={error ? formErrorsOf(error).general : undefined}
      onCancel={onCancel}
      onConfirm={() => { remove({ variables: { id: client.id } }).then(onDeleted, () => {}); }}
    >
      <p>{`"${client.name}" is deleted for good, and every token it issued stops working. This cannot be undone.`}</p>
    </ConfirmByName>
  );
}

export function EditAuthClientPage({ id }: { id: string }) {
  const { may } = useViewer();
  const { data, loading, error } = useQuery(AUTH_CLIENT, { variables: { id } });
  const client = data?.authClient;
  useEffect(() => {
    if (client) document.title = `Edit ${client.name} · Admin Console`;
  }, [client]);
  const back = <a href={hrefOf('/auth-clients')} onClick={(event) => followLink(event, '/auth-clients')}>← Auth Clients</a>;
  if (!may('edit-auth_clients')) {
    return (
      <section className="forbidden">
        <h1>Edit Auth Client</h1>
        <p>You need the permission <strong>Edit Auth Clients</strong> (edit-auth_clients) to change an auth client. Please ask your Administrator.</p>
        <p>{back}</p>
      </section>
    );
  }
  if (!client) {
    return (
      <section>
        <p>{back}</p>
        <h1>Edit Auth Client</h1>
        {loading ? <Loading /> : error ? <ErrorMessage error={error} /> : <p>There is no such auth client; it may have been deleted.</p>}
      </section>
    );
  }
  return (
    <div className="edit-auth-client">
      <p>{back}</p>
      <div className="page-header">
        <h1>Edit Auth Client</h1>
        <span className={client.enabled ? 'badge on' : 'badge off'}>{client.enabled ? 'Enabled' : 'Disabled'}</span>
      </div>
      <dl className="details">
        <dt>Name</dt>
        <dd>{client.name}</dd>
        <dt>Client ID</dt>
        <dd><code>{client.id}</code></dd>
        <dt>Created</dt>
        <dd>{formatTime(client.createdAt)}</dd>
        <dt>Last used</dt>
        <dd>{formatTime(client.lastUsedAt)}</dd>
      </dl>
      <Settings client={client} />
      <Secrets client={client} />
      <Access client={client} mayDelete={may('delete-auth_clients')} />
    </div>
  );
}
