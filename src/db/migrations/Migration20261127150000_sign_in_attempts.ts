// Brute-force protection (users/password-attempts.ts): rate-limiter-flexible's PostgreSQL table, made here rather
// than by the library at run time, so every instance shares the counters of usernames and addresses. Counting a
// failure changes nothing a cached token rests on: no change-feed trigger.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261127150000_sign_in_attempts extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create unlogged table "sign_in_attempts" ("key" varchar(255) not null, "points" integer not null default 0, "expire" bigint null, constraint "sign_in_attempts_pkey" primary key ("key"));`);
    this.addSql(`create index "sign_in_attempts_expire_index" on "sign_in_attempts" ("expire");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "sign_in_attempts";`);
  }

}
