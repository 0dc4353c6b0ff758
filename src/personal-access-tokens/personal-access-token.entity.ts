// A named, long-lived token a user made for scripts and tools, through a client with the PERSONAL_ACCESS grant.
// The token itself is an oidc-provider access token; this row holds what the user sees and manages.
import {
  Entity, ManyToOne, OptionalProps, PrimaryKey, Property, Unique, type Ref,
} from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { User } from '../users/user.entity.js';
import { AuthClient } from '../auth-clients/auth-client.entity.js';

@Entity({ tableName: 'personal_access_tokens' })
// Names are unique per user among tokens not revoked, whatever their case.
@Unique({
  name: 'personal_access_tokens_user_name_unique',
  expression: 'create unique index "personal_access_tokens_user_name_unique" on "personal_access_tokens" ("user_id", lower("name")) where "revoked_at" is null',
})
export class PersonalAccessToken {
  [OptionalProps]?: 'createdAt' | 'scopes' | 'lastUsedAt' | 'revokedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', ref: true })
  user!: Ref<User>;

  @ManyToOne(() => AuthClient, { deleteRule: 'cascade', ref: true })
  client!: Ref<AuthClient>;

  @Property({ length: 100 })
  name!: string;

  @Property({ type: 'text[]', default: '{}' })
  scopes: string[] = [];

  /** The keyed hash the token is stored under in oidc_payloads; the token itself is never stored. */
  @Property({ length: 64, hidden: true, unique: 'personal_access_tokens_token_hash_unique' })
  tokenHash!: string;

  /** The first characters of the token, to recognise it in lists; not a secret. */
  @Property({ length: 16 })
  tokenPrefix!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;
}
