// Every committed migration, in order. Listed explicitly so the built service and the tests run exactly these.
import type { MigrationObject } from '@mikro-orm/core';
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

export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261126162819_initial', class: Migration20261126162819_initial },
  { name: 'Migration20261126171104_consents', class: Migration20261126171104_consents },
  { name: 'Migration20261126172053_key_rotation', class: Migration20261126172053_key_rotation },
  { name: 'Migration20261126173452_personal_access_tokens', class: Migration20261126173452_personal_access_tokens },
  { name: 'Migration20261127060000_hot_paths', class: Migration20261127060000_hot_paths },
  { name: 'Migration20261127120000_api_scopes', class: Migration20261127120000_api_scopes },
  { name: 'Migration20261127130000_client_lifecycle', class: Migration20261127130000_client_lifecycle },
  { name: 'Migration20261127131000_client_secrets', class: Migration20261127131000_client_secrets },
  { name: 'Migration20261127132000_audit_log', class: Migration20261127132000_audit_log },
  { name: 'Migration20261127133000_client_credentials', class: Migration20261127133000_client_credentials },
  { name: 'Migration20261127140000_people', class: Migration20261127140000_people },
  { name: 'Migration20261127141000_user_tokens', class: Migration20261127141000_user_tokens },
];
