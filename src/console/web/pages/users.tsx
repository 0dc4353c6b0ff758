// The "Users" page: people in a searchable, paged table; create, edit (username, email, active) and delete for those
// allowed, and a way to each one's permissions.
import { useDeferredValue, useEffect, useState } from 'react';
import { gql, type TypedDocumentNode } from '@apollo/client';
import { useMutation, useQuery } from '@apollo/client/react';
import { followLink, hrefOf } from '../router';
import { ConfirmByName } from '../ui/confirm-by-name';
import { CursorTable, useCursorPages, type Column } from '../ui/cursor-table';
import { Dialog } from '../ui/dialog';
import { Checkbox, ErrorSummary, TextField } from '../ui/field';
import { formErrorsOf } from '../ui/errors';
import { formatTime } from '../ui/format';
import { SearchableListHeader, SearchEmptyState } from '../ui/list-header';
import { ErrorMessage, SubmitOrCancel } from '../ui/states';
import { useViewer } from '../viewer';
import './people.css';

export interface UserRow {
  id: string;
  username: string;
  email: string;
  isActive: boolean;
  isSuperAdmin: boolean;
  lastSignInAt: string | null;
  createdAt: string;
}

const PAGE_SIZE = 20;
const USER_FIELDS = 'id username email isActive isSuperAdmin lastSignInAt createdAt';

export const USERS_QUERY: TypedDocumentNode<
  { users: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: UserRow }> } },
  { first: number; after?: string; search?: string }
> = gql`
  query ConsoleUsers($first: Int!, $after: String, $search: String) {
    users(first: $first, after: $after, search: $search) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${USER_FIELDS} } }
    }
  }
`;

const CREATE_USER: TypedDocumentNode<{ createUser: UserRow }, { input: { username: string; email: string; password: string; isActive: boolean } }> = gql`
  mutation ConsoleCreateUser($input: CreateUserInput!) { createUser(input: $input) { ${USER_FIELDS} } }
`;
const UPDATE_USER: TypedDocumentNode<{ updateUser: UserRow }, { input: { id: string; username: string; email: string; isActive: boolean } }> = gql`
  mutation ConsoleUpdateUser($input: UpdateUserInput!) { updateUser(input: $input) { ${USER_FIELDS} } }
`;
const DELETE_USER: TypedDocumentNode<{ deleteUser: { deletedUserId: string } }, { id: string }> = gql`
  mutation ConsoleDeleteUser($id: ID!) { deleteUser(id: $id) { deletedUserId } }
`;

const FIELD_LABELS = { username: 'Username', email: 'Email', password: 'Password', isActive: 'Active' };

/** Create (no `user`) or edit: the form keeps what was typed when the server refuses it. */
function UserDialog({ user, onClose }: { user?: UserRow; onClose: () => void }) {
  const [username, setUsername] = useState(user?.username ?? '');
  const [email, setEmail] = useState(user?.email ?? '');
  const [password, setPassword] = useState('');
  const [isActive, setActive] = useState(user?.isActive ?? true);
  const [create, created] = useMutation(CREATE_USER, { refetchQueries: [USERS_QUERY] });
  const [update, updated] = useMutation(UPDATE_USER);
  const { loading, error } = user ? updated : created;
  const errors = formErrorsOf(error);
  return (
    <Dialog title={user ? `Edit User ${user.username}` : 'Create A User'} onClose={onClose}>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          const done = user
            ? update({ variables: { input: { id: user.id, username: username.trim(), email: email.trim(), isActive } } })
            : create({ variables: { input: { username: username.trim(), email: email.trim(), password, isActive } } });
          done.then(onClose, () => { /* shown beside the fields */ });
        }}
      >
        <TextField label="Username" value={username} onChange={setUsername} error={errors.fields.username} required autoComplete="off" autoFocus />
        <TextField label="Email" type="email" value={email} onChange={setEmail} error={errors.fields.email} required autoComplete="off" />
        {user ? null : (
          <TextField label="Password" type="password" value={password} onChange={setPassword} error={errors.fields.password} required autoComplete="new-password" />
        )}
        <Checkbox
          label="Active"
          checked={isActive}
          onChange={setActive}
          hint={user ? 'Deactivating signs the user out everywhere and revokes their tokens.' : 'An inactive user cannot sign in.'}
        />
        <ErrorSummary fields={errors.fields} labels={FIELD_LABELS} />
        <ErrorMessage error={errors.general} />
        <SubmitOrCancel busy={loading} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

function DeleteUser({ user, onClose }: { user: UserRow; onClose: () => void }) {
  const [remove, { loading, error }] = useMutation(DELETE_USER, { refetchQueries: [USERS_QUERY] });
  return (
    <ConfirmByName
      title={`Delete User ${user.username}`}
      name={user.username}
      action="Delete"
      busyLabel="Deleting…"
      busy={loading}
      error={error ? formErrorsOf(error).general ?? error.message : undefined}
      onCancel={onClose}
      onConfirm={() => { remove({ variables: { id: user.id } }).then(onClose, () => { /* shown in the dialog */ }); }}
    >
      <p>Their sessions and tokens end at once. Their audit events stay.</p>
    </ConfirmByName>
  );
}

export function UsersPage() {
  const { viewer, may } = useViewer();
  const [search, setSearch] = useState('');
  const deferredSearch = useDeferredValue(search.trim());
  const pages = useCursorPages();
  const { reset } = pages;
  useEffect(reset, [deferredSearch]);
  const [dialog, setDialog] = useState<{ kind: 'create' } | { kind: 'edit' | 'delete'; user: UserRow } | null>(null);
  const { data, previousData, loading, error } = useQuery(USERS_QUERY, {
    variables: { first: PAGE_SIZE, after: pages.after, search: deferredSearch || undefined },
    notifyOnNetworkStatusChange: true,
  });
  const connection = (data ?? previousData)?.users;

  const columns: Array<Column<UserRow>> = [
    { header: 'Username', cell: (user) => (user.isSuperAdmin ? <>{user.username} <span className="badge">Super Admin</span></> : user.username) },
    { header: 'Email', cell: (user) => user.email },
    { header: 'Active', cell: (user) => <span className={user.isActive ? 'badge on' : 'badge off'}>{user.isActive ? 'Active' : 'Inactive'}</span> },
    { header: 'Last sign-in', cell: (user) => formatTime(user.lastSignInAt) },
    { header: 'Created', cell: (user) => formatTime(user.createdAt) },
    {
      header: 'Actions',
      cell: (user) => (
        <div className="row-actions">
          {may('edit-users') ? <button type="button" className="secondary" aria-label={`Edit ${user.username}`} onClick={() => setDialog({ kind: 'edit', user })}>Edit</button> : null}
          <a href={hrefOf(`/permissions/user/${user.id}`)} onClick={(event) => followLink(event, `/permissions/user/${user.id}`)} aria-label={`Permissions of ${user.username}`}>Permissions</a>
          {may('delete-users') && user.id !== viewer?.id
            ? <button type="button" className="danger" aria-label={`Delete ${user.username}`} onClick={() => setDialog({ kind: 'delete', user })}>Delete</button>
            : null}
        </div>
      ),
    },
  ];

  return (
    <section aria-labelledby="users-title">
      <SearchableListHeader
        titleId="users-title"
        title="Users"
        create={may('create-users') ? { label: '+ User', onClick: () => setDialog({ kind: 'create' }) } : null}
        search={search}
        onSearch={setSearch}
        placeholder="Part of the username or email"
      />
      <ErrorMessage error={error} />
      <CursorTable
        caption="Users"
        columns={columns}
        connection={connection}
        pages={pages}
        loading={loading}
        empty={<SearchEmptyState search={deferredSearch} noun="user" />}
      />
      {dialog?.kind === 'create' ? <UserDialog onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === 'edit' ? <UserDialog user={dialog.user} onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === 'delete' ? <DeleteUser user={dialog.user} onClose={() => setDialog(null)} /> : null}
    </section>
  );
}
