// The "Groups" page: groups in a searchable, paged table with create, edit and delete for those allowed, each group's
// members (/groups/<id>), added by finding users and removed one at a time, and its permissions (/groups/<id>/permissions).
import { useDeferredValue, useEffect, useState } from 'react';
import { gql, type TypedDocumentNode } from '@apollo/client';
import { useMutation, useQuery } from '@apollo/client/react';
import { followLink, hrefOf, usePath } from '../router';
import { ConfirmByName } from '../ui/confirm-by-name';
import { CursorTable, useCursorPages, type Column, type Connection } from '../ui/cursor-table';
import { Dialog } from '../ui/dialog';
import { ErrorSummary, TextField } from '../ui/field';
import { formErrorsOf } from '../ui/errors';
import { formatTime } from '../ui/format';
import { SearchableListHeader, SearchEmptyState } from '../ui/list-header';
import {
  BusyButton, EmptyState, ErrorMessage, Loading, SubmitOrCancel,
} from '../ui/states';
import { useViewer } from '../viewer';
import './people.css';
import { GroupPermissions } from './permissions';

export interface GroupRow {
  id: string;
  name: string;
  description: string | null;
  memberCount: number;
  createdAt: string;
}

interface Member { id: string; username: string; email: string; isActive: boolean }

const PAGE_SIZE = 20;
const GROUP_FIELDS = 'id name description memberCount createdAt';

export const GROUPS_QUERY: TypedDocumentNode<{ groups: Connection<GroupRow> }, { first: number; after?: string; search?: string }> = gql`
  query ConsoleGroups($first: Int!, $after: String, $search: String) {
    groups(first: $first, after: $after, search: $search) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${GROUP_FIELDS} } }
    }
  }
`;
const GROUP_QUERY: TypedDocumentNode<{ group: (GroupRow & { members: Connection<Member> }) | null }, { id: string; first: number; after?: string }> = gql`
  query ConsoleGroup($id: ID!, $first: Int!, $after: String) {
    group(id: $id) {
      ${GROUP_FIELDS}
      members(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id username email isActive } }
      }
    }
  }
`;
const FIND_USERS: TypedDocumentNode<{ users: Connection<Member> }, { search: string }> = gql`
  query ConsoleFindUsers($search: String!) {
    users(first: 10, search: $search) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id username email isActive } }
    }
  }
`;
const CREATE_GROUP: TypedDocumentNode<{ createGroup: GroupRow }, { input: { name: string; description?: string } }> = gql`
  mutation ConsoleCreateGroup($input: CreateGroupInput!) { createGroup(input: $input) { ${GROUP_FIELDS} } }
`;
const UPDATE_GROUP: TypedDocumentNode<{ updateGroup: GroupRow }, { input: { id: string; name: string; description: string } }> = gql`
  mutation ConsoleUpdateGroup($input: UpdateGroupInput!) { updateGroup(input: $input) { ${GROUP_FIELDS} } }
`;
const DELETE_GROUP: TypedDocumentNode<{ deleteGroup: { deletedGroupId: string } }, { id: string }> = gql`
  mutation ConsoleDeleteGroup($id: ID!) { deleteGroup(id: $id) { deletedGroupId } }
`;
const ADD_MEMBERS: TypedDocumentNode<{ addGroupMembers: GroupRow }, { groupId: string; userIds: string[] }> = gql`
  mutation ConsoleAddGroupMembers($groupId: ID!, $userIds: [ID!]!) { addGroupMembers(groupId: $groupId, userIds: $userIds) { ${GROUP_FIELDS} } }
`;
const REMOVE_MEMBERS: TypedDocumentNode<{ removeGroupMembers: GroupRow }, { groupId: string; userIds: string[] }> = gql`
  mutation ConsoleRemoveGroupMembers($groupId: ID!, $userIds: [ID!]!) { removeGroupMembers(groupId: $groupId, userIds: $userIds) { ${GROUP_FIELDS} } }
`;

const FIELD_LABELS = { name: 'Name', description: 'Description' };

function GroupDialog({ group, onClose }: { group?: GroupRow; onClose: () => void }) {
  const [name, setName] = useState(group?.name ?? '');
  const [description, setDescription] = useState(group?.description ?? '');
  const [create, created] = useMutation(CREATE_GROUP, { refetchQueries: [GROUPS_QUERY] });
  const [update, updated] = useMutation(UPDATE_GROUP);
  const { loading, error } = group ? updated : created;
  const errors = formErrorsOf(error);
  return (
    <Dialog title={group ? `Edit Group ${group.name}` : 'Create A Group'} onClose={onClose}>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          const done = group
            ? update({ variables: { input: { id: group.id, name: name.trim(), description: description.trim() } } })
            : create({ variables: { input: { name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}) } } });
          done.then(onClose, () => { /* shown beside the fields */ });
        }}
      >
        <TextField label="Name" value={name} onChange={setName} error={errors.fields.name} required autoComplete="off" autoFocus />
        <TextField label="Description" value={description} onChange={setDescription} error={errors.fields.description} autoComplete="off" />
        <ErrorSummary fields={errors.fields} labels={FIELD_LABELS} />
        <ErrorMessage error={errors.general} />
        <SubmitOrCancel busy={loading} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

function DeleteGroup({ group, onClose }: { group: GroupRow; onClose: () => void }) {
  const [remove, { loading, error }] = useMutation(DELETE_GROUP, { refetchQueries: [GROUPS_QUERY] });
  return (
    <ConfirmByName
      title={`Delete Group ${group.name}`}
      name={group.name}
      action="Delete"
      busyLabel="Deleting…"
      busy={loading}
      error={error ? formErrorsOf(error).general ?? error.message : undefined}
      onCancel={onClose}
      onConfirm={() => { remove({ variables: { id: group.id } }).then(onClose, () => { /* shown in the dialog */ }); }}
    >
      <p>{`Its ${group.memberCount} member(s) lose what it granted.`}</p>
    </ConfirmByName>
  );
}

/** Finds users by part of their username or email and adds the chosen one. */
function AddMember({ group, members }: { group: GroupRow; members: Set<string> }) {
  const [search, setSearch] = useState('');
  const deferred = useDeferredValue(search.trim());
  const found = useQuery(FIND_USERS, { variables: { search: deferred }, skip: deferred === '' });
  const [add, { loading, error }] = useMutation(ADD_MEMBERS, { refetchQueries: [GROUP_QUERY, GROUPS_QUERY] });
  const [adding, setAdding] = useState<string | null>(null);
  const candidates = (found.data ?? found.previousData)?.users.edges.map(({ node }) => node) ?? [];
  return (
    <div className="card">
      <h2>Add a member</h2>
      <TextField label="Find a user" type="search" value={search} onChange={setSearch} placeholder="Part of the username or email" hint="Type to look users up." />
      <ErrorMessage error={found.error} />
      <ErrorMessage error={error ? formErrorsOf(error).general : undefined} />
      {deferred !== '' && !found.loading && candidates.length === 0 ? <p role="status">{`No user matches "${deferred}".`}</p> : null}
      {candidates.length > 0 ? (
        <ul className="candidates" aria-label="Matching users">
          {candidates.map((user) => (
            <li key={user.id}>
              <span>{`${user.username} (${user.email})`}</span>
              {members.has(user.id) ? <span className="hint"> already a member</span> : (
                <BusyButton
                  type="button"
                  className="secondary"
                  busy={loading && adding === user.id}
                  busyLabel="Adding…"
                  aria-label={`Add ${user.username}`}
                  onClick={() => {
                    setAdding(user.id);
                    add({ variables: { groupId: group.id, userIds: [user.id] } }).then(() => setSearch(''), () => { /* shown above */ });
                  }}
                >
                  Add
                </BusyButton>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function GroupMembers({ id }: { id: string }) {
  const { may } = useViewer();
  const pages = useCursorPages();
  const { data, previousData, loading, error } = useQuery(GROUP_QUERY, {
    variables: { id, first: PAGE_SIZE, after: pages.after },
    notifyOnNetworkStatusChange: true,
  });
  const [remove, removing] = useMutation(REMOVE_MEMBERS, { refetchQueries: [GROUP_QUERY, GROUPS_QUERY] });
  const [removingId, setRemovingId] = useState<string | null>(null);
  const group = (data ?? previousData)?.group;
  if (!group) return loading ? <Loading /> : <section><h1>Group not found</h1><ErrorMessage error={error} /></section>;
  const rows = group.members.edges.map(({ node }) => node);
  const columns: Array<Column<Member>> = [
    { header: 'Username', cell: (user) => user.username },
    { header: 'Email', cell: (user) => user.email },
    { header: 'Active', cell: (user) => <span className={user.isActive ? 'badge on' : 'badge off'}>{user.isActive ? 'Active' : 'Inactive'}</span> },
  ];
  if (may('edit-groups')) {
    columns.push({
      header: 'Actions',
      cell: (user) => (
        <BusyButton
          type="button"
          className="secondary"
          busy={removing.loading && removingId === user.id}
          busyLabel="Removing…"
          aria-label={`Remove ${user.username}`}
          onClick={() => {
            setRemovingId(user.id);
            remove({ variables: { groupId: group.id, userIds: [user.id] } }).catch(() => { /* shown above */ });
          }}
        >
          Remove
        </BusyButton>
      ),
    });
  }
  return (
    <section aria-labelledby="group-title">
      <p><a href={hrefOf('/groups')} onClick={(event) => followLink(event, '/groups')}>← Groups</a></p>
      <div className="page-header">
        <h1 id="group-title">{`Group ${group.name}`}</h1>
        <a href={hrefOf(`/groups/${group.id}/permissions`)} onClick={(event) => followLink(event, `/groups/${group.id}/permissions`)}>Permissions</a>
      </div>
      {group.description ? <p>{group.description}</p> : null}
      <ErrorMessage error={error ?? (removing.error ? formErrorsOf(removing.error).general : undefined)} />
      <h2>Members</h2>
      <CursorTable
        caption={`Members of ${group.name}`}
        columns={columns}
        connection={group.members}
        pages={pages}
        loading={loading}
        empty={<EmptyState title="No members yet." />}
      />
      {may('edit-groups') && may('view-users') ? <AddMember group={group} members={new Set(rows.map((user) => user.id))} /> : null}
      {may('edit-groups') && !may('view-users') ? <p className="hint">Adding members needs View Users (view-users) too, to find them.</p> : null}
    </section>
  );
}

function GroupList() {
  const { may } = useViewer();
  const [search, setSearch] = useState('');
  const deferredSearch = useDeferredValue(search.trim());
  const pages = useCursorPages();
  const { reset } = pages;
  useEffect(reset, [deferredSearch]);
  const [dialog, setDialog] = useState<{ kind: 'create' } | { kind: 'edit' | 'delete'; group: GroupRow } | null>(null);
  const { data, previousData, loading, error } = useQuery(GROUPS_QUERY, {
    variables: { first: PAGE_SIZE, after: pages.after, search: deferredSearch || undefined },
    notifyOnNetworkStatusChange: true,
  });
  const connection = (data ?? previousData)?.groups;
  const columns: Array<Column<GroupRow>> = [
    {
      header: 'Name',
      cell: (group) => <a href={hrefOf(`/groups/${group.id}`)} onClick={(event) => followLink(event, `/groups/${group.id}`)}>{group.name}</a>,
    },
    { header: 'Description', cell: (group) => group.description ?? '—' },
    { header: 'Members', cell: (group) => group.memberCount },
    { header: 'Created', cell: (group) => formatTime(group.createdAt) },
    {
      header: 'Actions',
      cell: (group) => (
        <div className="row-actions">
          {may('edit-groups') ? <button type="button" className="secondary" aria-label={`Edit ${group.name}`} onClick={() => setDialog({ kind: 'edit', group })}>Edit</button> : null}
          {may('delete-groups') ? <button type="button" className="danger" aria-label={`Delete ${group.name}`} onClick={() => setDialog({ kind: 'delete', group })}>Delete</button> : null}
        </div>
      ),
    },
  ];
  return (
    <section aria-labelledby="groups-title">
      <SearchableListHeader
        titleId="groups-title"
        title="Groups"
        create={may('create-groups') ? { label: '+ Group', onClick: () => setDialog({ kind: 'create' }) } : null}
        search={search}
        onSearch={setSearch}
        placeholder="Part of the name"
      />
      <ErrorMessage error={error} />
      <CursorTable
        caption="Groups"
        columns={columns}
        connection={connection}
        pages={pages}
        loading={loading}
        empty={<SearchEmptyState search={deferredSearch} noun="group" />}
      />
      {dialog?.kind === 'create' ? <GroupDialog onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === 'edit' ? <GroupDialog group={dialog.group} onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === 'delete' ? <DeleteGroup group={dialog.group} onClose={() => setDialog(null)} /> : null}
    </section>
  );
}

export function GroupsPage() {
  const path = usePath();
  const [, id, sub] = /^\/groups\/([^/]+)(\/permissions)?$/.exec(path) ?? [];
  if (!id) return <GroupList />;
  return sub ? <GroupPermissions id={decodeURIComponent(id)} /> : <GroupMembers id={decodeURIComponent(id)} />;
}
