// The console's pages: path, navigation label, the permission needed to use it (null: anyone signed in), and element.
import type { ReactNode } from 'react';
import { PERMISSION_CATALOGUE } from '../../access-control/permissions.js';
import { AuditLogPage } from './pages/audit-log';
import { AuthClientsPage } from './pages/auth-clients';
import { GroupsPage } from './pages/groups';
import { MyTokensPage } from './pages/my-tokens';
import { PermissionsPage } from './pages/permissions';
import { UsersPage } from './pages/users';

export interface ConsolePage {
  path: string;
  label: string;
  permission: string | null;
  element: ReactNode;
}

/** In navigation order. */
export const PAGES: ConsolePage[] = [
  {
    path: '/auth-clients', label: 'Auth Clients', permission: 'view-auth_clients', element: <AuthClientsPage />,
  },
  {
    path: '/users', label: 'Users', permission: 'view-users', element: <UsersPage />,
  },
  {
    path: '/groups', label: 'Groups', permission: 'view-groups', element: <GroupsPage />,
  },
  // A user's permissions: reached from Users (and a group's from Groups); changing them needs edit-users / edit-groups.
  {
    path: '/permissions', label: 'Permissions', permission: 'view-users', element: <PermissionsPage />,
  },
  {
    path: '/audit-log', label: 'Audit Log', permission: 'view-audit_log', element: <AuditLogPage />,
  },
  {
    path: '/my-tokens', label: 'My Tokens', permission: null, element: <MyTokensPage />,
  },
];

/** What a person reads for a permission the refusal page names, e.g. View Auth Clients. */
export const PERMISSION_TITLES: Record<string, string> = Object.fromEntries(PERMISSION_CATALOGUE.map(({ name, title }) => [name, title]));
