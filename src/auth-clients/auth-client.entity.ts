// An application allowed to call the API: its grants and redirect URLs (its secrets: auth-client-secret.entity.ts). Its id is the OAuth client_id.
import {
  Check, Entity, Enum, Index, ManyToOne, Property, Unique, type Ref,
} from '@mikro-orm/core';
import { BaseEntity } from '../db/base.entity.js';
import { API_SCOPE_NAMES } from '../access-control/scopes.js';
import { User } from '../users/user.entity.js';

export enum AuthClientGrant {
  AUTHORIZATION_CODE = 'authorization_code',
  PASSWORD = 'password',
  PERSONAL_ACCESS = 'personal_access',
}

@Entity({ tableName: 'auth_clients' })
// Names are stored trimmed; this index makes them unique whatever their case, even under concurrent creates.
@Unique({ name: 'auth_clients_name_lower_unique', expression: 'create unique index "auth_clients_name_lower_unique" on "auth_clients" (lower("name"))' })
// Serves the case-insensitive substring search without reading the whole table (pg_trgm).
@Index({ name: 'auth_clients_name_trgm', expression: 'create index "auth_clients_name_trgm" on "auth_clients" using gin (lower("name") gin_trgm_ops)' })
// Last line of defence under the service's validation: no blank name, no empty or unknown grant.
@Check({ name: 'auth_clients_name_check', expression: `"name" = btrim("name") and "name" <> ''` })
@Check({ name: 'auth_clients_scopes_check', expression: `"scopes" <@ array[${API_SCOPE_NAMES.map((scope) => `'${scope}'`).join(', ')}]::text[]` })
@Check({ name: 'auth_clients_grants_check', expression: `cardinality("grants") > 0 and "grants" <@ array['authorization_code', 'password', 'personal_access']::text[]` })
export class AuthClient extends BaseEntity<'redirectUris' | 'scopes' | 'createdBy'> {
  @Property({ length: 255 })
  name!: string;

  @Enum({ items: () => AuthClientGrant, array: true })
  grants!: AuthClientGrant[];

  @Property({ type: 'text[]', default: '{}' })
  redirectUris: string[] = [];

  /** The API scopes the client may ask for, beyond openid, profile, email and offline_access, which every client may. */
  @Property({ type: 'text[]', default: '{}' })
  scopes: string[] = [];

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null', ref: true })
  createdBy?: Ref<User>;
}
