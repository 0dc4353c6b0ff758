// One round trip each for the brute-force counts of a password check (users/password-attempts.ts): at the start, the
// address and check-under-way counters taken and the username's failures read, in that order; after a right password
// with no failures, both points given back. In READ COMMITTED each statement of a volatile function takes a new
// snapshot, so the failures are read after the check is counted, exactly as the separate statements did. Both
// functions lock the address row before the check row, so that two of them never wait for each other (a deadlock).
// Rows are rate-limiter-flexible's own (RateLimiterPostgres), which the other operations still use.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261127170000_sign_in_start extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create or replace function sign_in_attempt_start(address_key text, address_expire bigint, checking_key text, checking_expire bigint, failures_key text, now_ms bigint)
      returns table (address_points integer, address_expire_at bigint, checking_points integer, failures integer)
      language plpgsql volatile as $$
      begin
        insert into sign_in_attempts as counted values (address_key, 1, address_expire) on conflict (key) do update set
          points = case when counted.expire <= now_ms then 1 else counted.points + 1 end,
          expire = case when counted.expire <= now_ms then address_expire else counted.expire end
          returning counted.points, counted.expire into address_points, address_expire_at;
        insert into sign_in_attempts as counted values (checking_key, 1, checking_expire) on conflict (key) do update set
          points = case when counted.expire <= now_ms then 1 else counted.points + 1 end,
          expire = case when counted.expire <= now_ms then checking_expire else counted.expire end
          returning counted.points into checking_points;
        select counted.points into failures from sign_in_attempts as counted
          where counted.key = failures_key and (counted.expire > now_ms or counted.expire is null);
        return next;
      end $$;`);
    this.addSql(`create or replace function sign_in_attempt_succeeded(address_key text, address_expire bigint, checking_key text, checking_expire bigint, now_ms bigint)
      returns void language plpgsql volatile as $$
      begin
        insert into sign_in_attempts as counted values (address_key, -1, address_expire) on conflict (key) do update set
          points = case when counted.expire <= now_ms then -1 else counted.points - 1 end,
          expire = case when counted.expire <= now_ms then address_expire else counted.expire end;
        insert into sign_in_attempts as counted values (checking_key, -1, checking_expire) on conflict (key) do update set
          points = case when counted.expire <= now_ms then -1 else counted.points - 1 end,
          expire = case when counted.expire <= now_ms then checking_expire else counted.expire end;
      end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists sign_in_attempt_succeeded(text, bigint, text, bigint, bigint);`);
    this.addSql(`drop function if exists sign_in_attempt_start(text, bigint, text, bigint, text, bigint);`);
  }

}
