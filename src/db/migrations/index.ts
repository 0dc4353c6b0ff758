// Every committed migration, in the order of names.ts. Listed explicitly so the built service and the tests run
// exactly these; loaded only when a database has some to run (db/orm.ts).
import type { MigrationObject } from '@mikro-orm/core';
import { MIGRATION_NAMES, type MigrationName } from './names.js';
import { Migration20261126162819_initial } from './Migration20261126162819_initial.js';
import { Migration20261126171104_consents } from './Migration20261126171104_consents.js';
import { Migration20261126172053_key_rotation } from './Migration20261126172053_key_rotation.js';
import { Migration20261126173452_personal_access_tokens } from './Migration20261126173452_personal_access_tokens.js';
import { Migration20261127060000_hot_paths } from './Migration20261127060000_hot_paths.js';
import { Migration20261127120000_api_scopes } from './Migration20261127120000_api_scopes.js';
import { Migration20261127130000_client_lifecycle } from './Migration20261127130000_client_lifecycle.js';
import { Migration20261127131000_client_secrets } from './Migration20261127131000_client_secrets.js';
import { Migration20261127132000_audit_log } from './Migration20261127132000_audit_log.js';
import { Migration20261127133000_client_credentials } from './Migration20261127133000_client_credentials.js';
import { Migration20261127140000_people } from './Migration20261127140000_people.js';
import { Migration20261127141000_user_tokens } from './Migration20261127141000_user_tokens.js';
import { Migration20261127150000_sign_in_attempts } from './Migration20261127150000_sign_in_attempts.js';
import { Migration20261127151108_nfc_names } from './Migration20261127151108_nfc_names.js';
import { Migration20261127160000_public_clients } from './Migration20261127160000_public_clients.js';

// Exactly one class per name: the type checker refuses a missing or an extra one.
const classes: Record<MigrationName, MigrationObject['class']> = {
  Migration20261126162819_initial,
  Migration20261126171104_consents,
  Migration20261126172053_key_rotation,
  Migration20261126173452_personal_access_tokens,
  Migration20261127060000_hot_paths,
  Migration20261127120000_api_scopes,
  Migration20261127130000_client_lifecycle,
  Migration20261127131000_client_secrets,
  Migration20261127132000_audit_log,
  Migration20261127133000_client_credentials,
  Migration20261127140000_people,
  Migration20261127141000_user_tokens,
  Migration20261127150000_sign_in_attempts,
  Migration20261127151108_nfc_names,
  Migration20261127160000_public_clients,
};

export const migrationsList: MigrationObject[] = MIGRATION_NAMES.map((name) => ({ name, class: classes[name] }));
