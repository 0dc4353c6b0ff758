// The counters of password guesses, per username and per address, in rate-limiter-flexible's PostgreSQL layout. Only
// the limiter reads and writes them (users/password-attempts.ts); the entity keeps the schema check honest.
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'sign_in_attempts' })
export class SignInAttempt {
  /** The limiter's prefix and the key: a keyed hash of the username, or the address. */
  @PrimaryKey({ length: 255 })
  key!: string;

  @Property({ type: 'integer', default: 0 })
  points!: number;

  /** When the count lapses, in milliseconds since 1970. */
  @Index({ name: 'sign_in_attempts_expire_index' })
  @Property({ type: 'bigint', nullable: true })
  expire?: string | null;
}
