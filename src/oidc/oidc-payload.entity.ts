// One stored oidc-provider object (token, code, session, grant, interaction ...), keyed and sealed so a dump is useless.
import {
  Entity, Index, PrimaryKey, Property,
} from '@mikro-orm/core';

@Entity({ tableName: 'oidc_payloads' })
@Index({ name: 'oidc_payloads_grant_id_index', properties: ['grantId'] })
@Index({ name: 'oidc_payloads_uid_index', properties: ['uid'] })
@Index({ name: 'oidc_payloads_user_code_index', properties: ['userCode'] })
@Index({ name: 'oidc_payloads_expires_at_index', properties: ['expiresAt'] })
@Index({ name: 'oidc_payloads_client_id_index', properties: ['clientId'] })
@Index({ name: 'oidc_payloads_account_id_index', properties: ['accountId'] })
export class OidcPayload {
  /** oidc-provider's model name: AccessToken, RefreshToken, Session, ... */
  @PrimaryKey({ length: 64 })
  model!: string;

  /** HMAC of the object's id (for tokens: their value), never the id itself. */
  @PrimaryKey({ length: 64 })
  id!: string;

  /** The payload, encrypted under APP_KEY and bound to model and id. */
  @Property({ type: 'text' })
  payload!: string;

  /** Plain: a grant id is not a credential, and revocation looks tokens up by it. */
  @Property({ length: 255, nullable: true })
  grantId?: string;

  /** The stored id of the Grant (HMAC of grantId), so a token and its grant are read in one query. */
  @Property({ length: 64, nullable: true })
  grantKey?: string;

  /** The auth client the row was issued to or for (plain: a client id is not a credential); null on rows written before it was recorded. */
  @Property({ length: 255, nullable: true })
  clientId?: string;

  /** The user the row belongs to (plain: a user id is not a credential); null for rows of no user, and rows written before it was recorded. */
  @Property({ length: 255, nullable: true })
  accountId?: string;

  /** HMAC of the session uid. */
  @Property({ length: 64, nullable: true })
  uid?: string;

  /** HMAC of the device flow user code. */
  @Property({ length: 64, nullable: true })
  userCode?: string;

  @Property({ type: 'datetime', nullable: true })
  expiresAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  consumedAt?: Date;
}
