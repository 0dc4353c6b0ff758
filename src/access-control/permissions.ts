// The permission catalogue as code: the names rules refer to. A migration seeds the same rows.

export const PERMISSIONS = {
  viewAuthClients: 'view-auth_clients',
  createAuthClients: 'create-auth_clients',
  editAuthClients: 'edit-auth_clients',
  deleteAuthClients: 'delete-auth_clients',
  viewAuditLog: 'view-audit_log',
  viewUsers: 'view-users',
  createUsers: 'create-users',
  editUsers: 'edit-users',
  deleteUsers: 'delete-users',
  viewGroups: 'view-groups',
  createGroups: 'create-groups',
  editGroups: 'edit-groups',
  deleteGroups: 'delete-groups',
} as const;

export type PermissionName = (typeof PERMISSIONS)[keyof typeof PERMISSIONS];

export const PERMISSION_CATALOGUE: ReadonlyArray<{ name: PermissionName; title: string; groupName: string }> = [
  { name: PERMISSIONS.viewAuthClients, title: 'View Auth Clients', groupName: 'Auth Clients' },
  { name: PERMISSIONS.createAuthClients, title: 'Create Auth Clients', groupName: 'Auth Clients' },
  { name: PERMISSIONS.editAuthClients, title: 'Edit Auth Clients', groupName: 'Auth Clients' },
  { name: PERMISSIONS.deleteAuthClients, title: 'Delete Auth Clients', groupName: 'Auth Clients' },
  { name: PERMISSIONS.viewUsers, title: 'View Users', groupName: 'Users' },
  { name: PERMISSIONS.createUsers, title: 'Create Users', groupName: 'Users' },
  { name: PERMISSIONS.editUsers, title: 'Edit Users', groupName: 'Users' },
  { name: PERMISSIONS.deleteUsers, title: 'Delete Users', groupName: 'Users' },
  { name: PERMISSIONS.viewGroups, title: 'View Groups', groupName: 'Groups' },
  { name: PERMISSIONS.createGroups, title: 'Create Groups', groupName: 'Groups' },
  { name: PERMISSIONS.editGroups, title: 'Edit Groups', groupName: 'Groups' },
  { name: PERMISSIONS.deleteGroups, title: 'Delete Groups', groupName: 'Groups' },
  { name: PERMISSIONS.viewAuditLog, title: 'View Audit Log', groupName: 'Audit Log' },
];
