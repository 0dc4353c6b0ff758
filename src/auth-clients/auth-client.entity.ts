// An application allowed to call the API: its grants and redirect URLs (its secrets: auth-client-secret.entity.ts). Its id is the OAuth client_id.
import {
  Check, Collection, Entity, Enum, Index, ManyToMany, ManyToOne, Property, Unique, type Ref,
} from '@mikro-orm/core';
import { BaseEntity } from '../db/base.entity.js';
import { API_SCOPE_NAMES } from '../access-control/scopes.js';
import { Permission } from '../access-control/permission.entity.js';
import { User } from '../users/user.entity.js';

export enum AuthClientGrant {
  AUTHORIZATION_CODE = 'authorization_code',
  PASSWORD = 'password',
  PERSONAL_ACCESS = 'personal_access',
  /** Machine to machine: the client gets tokens for itself, acting as itself (RFC 6749 §4.4). */
  CLIENT_CREDENTIALS = 'client_credentials',
}

@Entity({ tableName: 'auth_clients' })
// Names are stored trimmed; this index makes them unique whatever their case, even under concurrent creates.
@Unique({ name: 'auth_clients_name_lower_unique', expression: 'create unique index "auth_clients_name_lower_unique" on "auth_clients" (lower("name"))' })
// Serves the case-insensitive substring search without reading the whole table (pg_trgm).
@Index({ name: 'auth_clients_name_trgm', expression: 'create index "auth_clients_name_trgm" on "auth_clients" using gin (lower("name") gin_trgm_ops)' })
// Last line of defence under the service's validation: no blank name, no empty or unknown grant.
@Check({ name: 'auth_clients_name_check', expression: `"name" = btrim("name") and "name" <> ''` })
@Check({ name: 'auth_clients_scopes_check', expression: `"scopes" <@ array[${API_SCOPE_NAMES.map((scope) => `'${scope}'`).join(', ')}]::text[]` })
@Check({ name: 'auth_clients_grants_check', expression: `cardinality("grants") > 0 and "grants" <@ array['authorization_code', 'password', 'personal_access', 'client_credentials']::text[]` })
// A public client cannot authenticate, so it may only send users through the code flow (PKCE) or act for them with
// their personal access tokens: never a grant that rests on a client secret.
@Check({ name: 'auth_clients_public_grants_check', expression: `"confidential" or "grants" <@ array['authorization_code', 'personal_access']::text[]` })
@Check({ name: 'auth_clients_access_token_lifetime_check', expression: '"access_token_lifetime" >= 60 and "access_token_lifetime" <= 86400' })
@Check({ name: 'auth_clients_refresh_token_lifetime_check', expression: '"refresh_token_lifetime" >= 3600 and "refresh_token_lifetime" <= 31536000' })
export class AuthClient extends BaseEntity<'redirectUris' | 'scopes' | 'createdBy' | 'enabled' | 'skipConsent' | 'accessTokenLifetime' | 'refreshTokenLifetime' | 'lastUsedAt' | 'confidential' | 'builtIn'> {
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

  /** A disabled client gets no tokens, and every token it holds is refused until it is enabled again. */
  @Property({ default: true })
  enabled: boolean = true;

  /** A trusted first-party app: its users are never shown the consent page. */
  @Property({ default: false })
  skipConsent: boolean = false;

  /**
   * False for a public client (a browser or native app, RFC 6749 §2.1): it has no secret, authenticates with
   * token_endpoint_auth_method none, and must use PKCE.
   */
  @Property({ default: true })
  confidential: boolean = true;

  /** Set on a client the service itself keeps (see admin-console.ts): which one it is. Null for every other client. */
  @Property({ length: 50, nullable: true, unique: 'auth_clients_built_in_unique' })
  builtIn?: string | null;

  /** Seconds; for tokens issued after a change. */
  @Property({ type: 'integer', default: 3600 })
  accessTokenLifetime: number = 3600;

  @Property({ type: 'integer', default: 2592000 })
  refreshTokenLifetime: number = 2592000;

  /** The last token issued to it or introspection by it, to the minute. */
  @Index({ name: 'auth_clients_last_used_at_index' })
  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date | null;

  /** What the client may do at /graphql acting as itself, with a client-credentials token; none by default. */
  @ManyToMany({
    entity: () => Permission, pivotTable: 'client_permissions', joinColumn: 'client_id', inverseJoinColumn: 'permission_name',
  })
  permissions = new Collection<Permission>(this);
}
