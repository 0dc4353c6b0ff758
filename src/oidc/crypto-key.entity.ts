// A signing key or cookie key, generated once and shared by every instance; its material is encrypted under APP_KEY.
import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

export enum CryptoKeyUse {
  SIGNING = 'signing',
  COOKIE = 'cookie',
}

@Entity({ tableName: 'crypto_keys' })
export class CryptoKey {
  [OptionalProps]?: 'createdAt';

  /** The JWK `kid` for signing keys; a random id for cookie keys. */
  @PrimaryKey({ length: 64 })
  id!: string;

  @Enum({ items: () => CryptoKeyUse })
  use!: CryptoKeyUse;

  /** Encrypted private JWK (signing) or key string (cookie). */
  @Property({ type: 'text' })
  material!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  /** When a newer signing key replaced it. It stays published until tokens it signed have expired. */
  @Property({ type: 'datetime', nullable: true })
  retiredAt?: Date | null;
}
