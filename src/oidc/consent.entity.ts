// The consent a user gave a client, remembered across sign-ins: points at the oidc-provider Grant that holds it.
import {
  Entity, ManyToOne, Property, type Ref,
} from '@mikro-orm/core';
import { User } from '../users/user.entity.js';
import { AuthClient } from '../auth-clients/auth-client.entity.js';

@Entity({ tableName: 'oidc_consents' })
export class OidcConsent {
  @ManyToOne(() => User, { primary: true, deleteRule: 'cascade', ref: true })
  user!: Ref<User>;

  @ManyToOne(() => AuthClient, { primary: true, deleteRule: 'cascade', ref: true })
  client!: Ref<AuthClient>;

  /** The Grant's id; the Grant itself (scopes, expiry) lives in oidc_payloads and may have expired or been revoked. */
  @Property({ length: 255 })
  grantId!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
