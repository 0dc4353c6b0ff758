// The "Audit Log" page: every change, newest first, filtered by action, actor or target, paged by cursor.
import { useDeferredValue, useEffect, useState } from 'react';
import { gql, type TypedDocumentNode } from '@apollo/client';
import { useQuery } from '@apollo/client/react';
import { CursorTable, useCursorPages, type Column } from '../ui/cursor-table';
import { TextField } from '../ui/field';
import { formatTime } from '../ui/format';
import { EmptyState, ErrorMessage } from '../ui/states';
import { useViewer } from '../viewer';
import './people.css';

interface AuditEventRow {
  id: string;
  occurredAt: string;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  ip: string | null;
  changes: Record<string, { before?: unknown; after?: unknown }> | null;
}

const PAGE_SIZE = 25;

const AUDIT_EVENTS: TypedDocumentNode<
  { auditEvents: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: AuditEventRow }> } },
  { first: number; after?: string; action?: string; actorId?: string; targetId?: string }
> = gql`
  query ConsoleAuditEvents($first: Int!, $after: String, $action: String, $actorId: String, $targetId: String) {
    auditEvents(first: $first, after: $after, action: $action, actorId: $actorId, targetId: $targetId) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id occurredAt actorType actorId action targetType targetId ip changes } }
    }
  }
`;

/** The actions the service records, offered as suggestions for the filter. */
const ACTIONS = [
  'auth_client.created', 'auth_client.updated', 'auth_client.disabled', 'auth_client.enabled', 'auth_client.deleted',
  'auth_client.secret_rotated', 'auth_client.secret_revoked', 'auth_client.tokens_revoked',
  'user.created', 'user.updated', 'user.deleted', 'user.password_changed', 'user.super_admin_set', 'user.permissions_set',
  'group.created', 'group.updated', 'group.deleted', 'group.user_added', 'group.user_removed', 'group.permissions_set',
  'permission.granted', 'permission.revoked',
  'personal_access_token.created', 'personal_access_token.revoked', 'audit_log.pruned',
];

const short = (value: unknown) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? '—' : text.length > 60 ? `${text.slice(0, 57)}…` : text;
};

function Changes({ changes }: { changes: AuditEventRow['changes'] }) {
  const entries = Object.entries(changes ?? {});
  if (entries.length === 0) return <>—</>;
  return (
    <ul className="changes">
      {entries.map(([field, change]) => (
        <li key={field}>
          <code>{field}</code>
          {`: ${short(change?.before)} → ${short(change?.after)}`}
        </li>
      ))}
    </ul>
  );
}

export function AuditLogPage() {
  const { viewer } = useViewer();
  const [action, setAction] = useState('');
  const [actorId, setActorId] = useState('');
  const [targetId, setTargetId] = useState('');
  const filters = {
    action: useDeferredValue(action.trim()), actorId: useDeferredValue(actorId.trim()), targetId: useDeferredValue(targetId.trim()),
  };
  const pages = useCursorPages();
  const { reset } = pages;
  useEffect(reset, [filters.action, filters.actorId, filters.targetId]);
  const { data, previousData, loading, error } = useQuery(AUDIT_EVENTS, {
    variables: {
      first: PAGE_SIZE,
      after: pages.after,
      action: filters.action || undefined,
      actorId: filters.actorId || undefined,
      targetId: filters.targetId || undefined,
    },
    // The log grows while the page is open: always ask.
    fetchPolicy: 'network-only',
    notifyOnNetworkStatusChange: true,
  });
  const connection = (data ?? previousData)?.auditEvents;
  const filtered = Boolean(filters.action || filters.actorId || filters.targetId);

  const columns: Array<Column<AuditEventRow>> = [
    { header: 'When', cell: (event) => <time dateTime={event.occurredAt}>{formatTime(event.occurredAt)}</time> },
    {
      header: 'Who',
      cell: (event) => (event.actorType === 'cli' ? 'CLI' : (
        <>
          {event.actorType === 'client' ? 'Client ' : ''}
          <code>{event.actorId === viewer?.id ? `${viewer.username} (you)` : event.actorId ?? '—'}</code>
        </>
      )),
    },
    { header: 'Action', cell: (event) => <code>{event.action}</code> },
    { header: 'Target', cell: (event) => <>{`${event.targetType} `}<code>{event.targetId ?? ''}</code></> },
    { header: 'Changes', cell: (event) => <Changes changes={event.changes} /> },
    { header: 'From', cell: (event) => event.ip ?? '—' },
  ];

  return (
    <section aria-labelledby="audit-log-title">
      <div className="page-header">
        <h1 id="audit-log-title">Audit Log</h1>
      </div>
      <div className="toolbar" role="search">
        <TextField label="Action" value={action} onChange={setAction} list="audit-actions" placeholder="e.g. auth_client.created" autoComplete="off" />
        <datalist id="audit-actions">{ACTIONS.map((name) => <option key={name} value={name} />)}</datalist>
        <TextField label="Actor ID" value={actorId} onChange={setActorId} placeholder="A user or client id" autoComplete="off" />
        <TextField label="Target ID" value={targetId} onChange={setTargetId} placeholder="An auth client, user, group or token id" autoComplete="off" />
      </div>
      <ErrorMessage error={error} />
      <CursorTable
        caption="Audit events, newest first"
        columns={columns}
        connection={connection}
        pages={pages}
        loading={loading}
        empty={<EmptyState title={filtered ? 'No event matches these filters.' : 'Nothing has been recorded yet.'} />}
      />
    </section>
  );
}
