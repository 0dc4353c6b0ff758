// The permission catalogue as code: the names rules refer to. A migration seeds the same rows.

export const PERMISSIONS = {
  viewAuthClients: 'view-auth_clients',
  createAuthClients: 'create-auth_clients',
  editAuthClients: 'edit-auth_clients',
  deleteAuthClients: 'delete-auth_clients',
  viewAuditLog: 'view-audit_log',
} as const;

export type PermissionName = (typeof PERMISSIONS)[keyof typeof PERMISSIONS];

export const PERMISSION_CATALOGUE: ReadonlyArray<{ name: PermissionName; title: string; groupName: string }> = [
  { name: PERMISSIONS.viewAuthClients, title: 'View Auth Clients', groupName: 'Auth Clients' },
  { name: PERMISSIONS.createAuthClients, title: 'Create Auth Clients', groupName: 'Auth Clients' },
  { name: PERMISSIONS.editAuthClients, title: 'Edit Auth Clients', groupName: 'Auth Clients' },
  { name: PERMISSIONS.deleteAuthClients, title: 'Delete Auth Clients', groupName: 'Auth Clients' },
  { name: PERMISSIONS.viewAuditLog, title: 'View Audit Log', groupName: 'Audit Log' },
];
