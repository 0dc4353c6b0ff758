// One secret of an auth client, stored as a keyed hash. A client has one active secret, two while a rotation overlaps.
import {
  Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, type Ref,
} from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { AuthClient } from './auth-client.entity.js';

@Entity({ tableName: 'auth_client_secrets' })
// Every token request of a client whose metadata is not cached reads its secrets; every client read shows them.
@Index({ name: 'auth_client_secrets_client_id_index', properties: ['client'] })
export class AuthClientSecret {
  [OptionalProps]?: 'createdAt' | 'expiresAt' | 'lastUsedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => AuthClient, { deleteRule: 'cascade', ref: true })
  client!: Ref<AuthClient>;

  /** HMAC-SHA-256 of the secret under APP_KEY; the secret itself is never stored. */
  @Property({ length: 64, hidden: true })
  secretHash!: string;

  /** The first characters of the secret, to tell secrets apart in lists; not a secret. */
  @Property({ length: 16 })
  prefix!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  /** When it stops working: null while it is the current secret; set by a rotation (the overlap) or a revocation. */
  @Property({ type: 'datetime', nullable: true })
  expiresAt?: Date | null;

  /** Its last successful use, written at most once a minute. */
  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date | null;
}
