// The committed migrations' names, in order: enough to tell whether a database is up to date without loading the
// migrations themselves or MikroORM's Migrator (index.ts pairs each name with its class).
export const MIGRATION_NAMES = [
  'Migration20261126162819_initial',
  'Migration20261126171104_consents',
  'Migration20261126172053_key_rotation',
  'Migration20261126173452_personal_access_tokens',
  'Migration20261127060000_hot_paths',
  'Migration20261127120000_api_scopes',
  'Migration20261127130000_client_lifecycle',
  'Migration20261127131000_client_secrets',
  'Migration20261127132000_audit_log',
  'Migration20261127133000_client_credentials',
  'Migration20261127140000_people',
  'Migration20261127141000_user_tokens',
  'Migration20261127150000_sign_in_attempts',
  'Migration20261127151108_nfc_names',
  'Migration20261127160000_public_clients',
] as const;

export type MigrationName = typeof MIGRATION_NAMES[number];
