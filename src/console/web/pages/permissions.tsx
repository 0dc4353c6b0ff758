// The "Permissions" page: a user's or a group's permissions as checkboxes under their catalogue headings (as in
// ProcessMaker), saved with setUserPermissions / setGroupPermissions: /permissions/user/<id>, and a group's at
// /groups/<id>/permissions (under Groups, so that seeing groups is enough to reach it).
import { useEffect, useId, useState } from 'react';
import { gql, type TypedDocumentNode } from '@apollo/client';
import { useMutation, useQuery } from '@apollo/client/react';
import { followLink, hrefOf, navigate, usePath } from '../router';
import { formErrorsOf } from '../ui/errors';
import {
  BusyButton, EmptyState, ErrorMessage, Loading,
} from '../ui/states';
import { useViewer } from '../viewer';
import './people.css';

interface PermissionGroup { name: string; permissions: Array<{ name: string; title: string }> }

const CATALOGUE: TypedDocumentNode<{ permissions: PermissionGroup[] }> = gql`
  query ConsolePermissionCatalogue { permissions { name permissions { name title } } }
`;
const USER_PERMISSIONS: TypedDocumentNode<
  { user: { id: string; username: string; isSuperAdmin: boolean; directPermissions: string[]; effectivePermissions: string[] } | null },
  { id: string }
> = gql`
  query ConsoleUserPermissions($id: ID!) { user(id: $id) { id username isSuperAdmin directPermissions effectivePermissions } }
`;
const GROUP_PERMISSIONS: TypedDocumentNode<{ group: { id: string; name: string; permissions: string[] } | null }, { id: string }> = gql`
  query ConsoleGroupPermissions($id: ID!) { group(id: $id) { id name permissions } }
`;
const SET_USER_PERMISSIONS: TypedDocumentNode<
  { setUserPermissions: { id: string; directPermissions: string[]; effectivePermissions: string[] } },
  { userId: string; permissions: string[] }
> = gql`
  mutation ConsoleSetUserPermissions($userId: ID!, $permissions: [String!]!) {
    setUserPermissions(userId: $userId, permissions: $permissions) { id directPermissions effectivePermissions }
  }
`;
const SET_GROUP_PERMISSIONS: TypedDocumentNode<{ setGroupPermissions: { id: string; permissions: string[] } }, { groupId: string; permissions: string[] }> = gql`
  mutation ConsoleSetGroupPermissions($groupId: ID!, $permissions: [String!]!) {
    setGroupPermissions(groupId: $groupId, permissions: $permissions) { id permissions }
  }
`;
const CHOICES: TypedDocumentNode<{
  users?: { edges: Array<{ node: { id: string; username: string } }> };
  groups?: { edges: Array<{ node: { id: string; name: string } }> };
}, { withUsers: boolean; withGroups: boolean }> = gql`
  query ConsolePermissionChoices($withUsers: Boolean!, $withGroups: Boolean!) {
    users(first: 100) @include(if: $withUsers) { edges { node { id username } } }
    groups(first: 100) @include(if: $withGroups) { edges { node { id name } } }
  }
`;

/** The checkboxes of the catalogue, under its headings; `inherited` are held otherwise (groups, Super Admin). */
function PermissionForm({
  granted, inherited, inheritedWhy, canEdit, saving, error, onSave,
}: {
  granted: string[];
  inherited: Set<string>;
  inheritedWhy: string;
  canEdit: boolean;
  saving: boolean;
  error: unknown;
  onSave: (permissions: string[]) => Promise<unknown>;
}) {
  const catalogue = useQuery(CATALOGUE, { fetchPolicy: 'cache-first' });
  const [chosen, setChosen] = useState(() => new Set(granted));
  const [saved, setSaved] = useState(false);
  const baseId = useId();
  useEffect(() => { setChosen(new Set(granted)); }, [granted]);
  if (!catalogue.data) return catalogue.loading ? <Loading /> : <ErrorMessage error={catalogue.error} />;
  const errors = formErrorsOf(error);
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        setSaved(false);
        onSave([...chosen]).then(() => setSaved(true), () => { /* shown below */ });
      }}
    >
      {catalogue.data.permissions.map((heading) => (
        <fieldset key={heading.name} className="permission-group">
          <legend>{heading.name}</legend>
          {heading.permissions.map((permission) => {
            const id = `${baseId}-${permission.name}`;
            return (
              <div className="checkbox" key={permission.name}>
                <input
                  type="checkbox"
                  id={id}
                  checked={chosen.has(permission.name)}
                  disabled={!canEdit || saving}
                  aria-describedby={inherited.has(permission.name) ? `${id}-hint` : undefined}
                  onChange={(event) => {
                    setSaved(false);
                    const next = new Set(chosen);
                    if (event.target.checked) next.add(permission.name);
                    else next.delete(permission.name);
                    setChosen(next);
                  }}
                />
                <label htmlFor={id}>{permission.title}</label>
                {inherited.has(permission.name) ? <p className="hint" id={`${id}-hint`}>{inheritedWhy}</p> : null}
              </div>
            );
          })}
        </fieldset>
      ))}
      <ErrorMessage error={errors.general ?? (Object.values(errors.fields).join(' ') || undefined)} />
      <p role="status" className="hint">{saved ? 'Saved.' : ''}</p>
      {canEdit ? <BusyButton type="submit" busy={saving} busyLabel="Saving…">Save</BusyButton> : null}
    </form>
  );
}

function UserPermissions({ id }: { id: string }) {
  const { may } = useViewer();
  const { data, loading, error } = useQuery(USER_PERMISSIONS, { variables: { id } });
  const [save, saving] = useMutation(SET_USER_PERMISSIONS);
  const user = data?.user;
  if (!user) return loading ? <Loading /> : <section><h1>User not found</h1><ErrorMessage error={error} /></section>;
  const direct = new Set(user.directPermissions);
  return (
    <section aria-labelledby="permissions-title">
      <p><a href={hrefOf('/users')} onClick={(event) => followLink(event, '/users')}>← Users</a></p>
      <h1 id="permissions-title">{`Permissions of ${user.username}`}</h1>
      {user.isSuperAdmin ? <p className="hint">A Super Admin holds every permission, whatever is ticked here.</p> : null}
      <PermissionForm
        granted={user.directPermissions}
        inherited={new Set(user.effectivePermissions.filter((name) => !direct.has(name)))}
        inheritedWhy={user.isSuperAdmin ? 'Held as Super Admin.' : 'Also held through a group.'}
        canEdit={may('edit-users')}
        saving={saving.loading}
        error={saving.error}
        onSave={(permissions) => save({ variables: { userId: user.id, permissions } })}
      />
    </section>
  );
}

/** A group's permissions, at /groups/<id>/permissions (the Groups page's, for those who may see groups). */
export function GroupPermissions({ id }: { id: string }) {
  const { may } = useViewer();
  const { data, loading, error } = useQuery(GROUP_PERMISSIONS, { variables: { id } });
  const [save, saving] = useMutation(SET_GROUP_PERMISSIONS);
  const group = data?.group;
  if (!group) return loading ? <Loading /> : <section><h1>Group not found</h1><ErrorMessage error={error} /></section>;
  return (
    <section aria-labelledby="permissions-title">
      <p><a href={hrefOf(`/groups/${group.id}`)} onClick={(event) => followLink(event, `/groups/${group.id}`)}>{`← Group ${group.name}`}</a></p>
      <h1 id="permissions-title">{`Permissions of the group ${group.name}`}</h1>
      <PermissionForm
        granted={group.permissions}
        inherited={new Set()}
        inheritedWhy=""
        canEdit={may('edit-groups')}
        saving={saving.loading}
        error={saving.error}
        onSave={(permissions) => save({ variables: { groupId: group.id, permissions } })}
      />
    </section>
  );
}

/** Whose permissions: a user or a group, from the first 100 of each (the Users and Groups pages link here too). */
function Chooser() {
  const { may } = useViewer();
  const withUsers = may('view-users');
  const withGroups = may('view-groups');
  const { data, loading, error } = useQuery(CHOICES, { variables: { withUsers, withGroups } });
  const userSelect = useId();
  const groupSelect = useId();
  return (
    <section aria-labelledby="permissions-title">
      <h1 id="permissions-title">Permissions</h1>
      <p>Choose a user or a group to see and change the permissions granted to them.</p>
      <ErrorMessage error={error} />
      {loading && !data ? <Loading /> : null}
      {withUsers && data?.users ? (
        <div className="field">
          <label htmlFor={userSelect}>User</label>
          <select id={userSelect} defaultValue="" onChange={(event) => { if (event.target.value) navigate(`/permissions/user/${event.target.value}`); }}>
            <option value="" disabled>Choose a user…</option>
            {data.users.edges.map(({ node }) => <option key={node.id} value={node.id}>{node.username}</option>)}
          </select>
        </div>
      ) : null}
      {withGroups && data?.groups ? (
        data.groups.edges.length === 0 ? <EmptyState title="No groups yet." /> : (
          <div className="field">
            <label htmlFor={groupSelect}>Group</label>
            <select id={groupSelect} defaultValue="" onChange={(event) => { if (event.target.value) navigate(`/groups/${event.target.value}/permissions`); }}>
              <option value="" disabled>Choose a group…</option>
              {data.groups.edges.map(({ node }) => <option key={node.id} value={node.id}>{node.name}</option>)}
            </select>
          </div>
        )
      ) : null}
      {!withGroups ? <p className="hint">Group permissions need View Groups (view-groups).</p> : null}
    </section>
  );
}

export function PermissionsPage() {
  const path = usePath();
  const id = /^\/permissions\/user\/([^/]+)$/.exec(path)?.[1];
  return id ? <UserPermissions id={decodeURIComponent(id)} /> : <Chooser />;
}
