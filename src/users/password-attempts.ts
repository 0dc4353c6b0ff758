// Brute-force protection for every password check (UserService.authenticate, a change of one's own password): waits
// for a username that double with each failure, and a limit per address. Counted in PostgreSQL with
// rate-limiter-flexible, so every instance shares them; a point is taken atomically before the password is checked.
import { isIPv4 } from 'node:net';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { SignInLimits } from '../config.js';
import type { Sql } from '../db/sql.js';
import { DomainError } from '../shared/errors.js';
import type { Secrets } from '../shared/secrets.js';
import { recordSignInEvent } from './sign-in-events.js';

/** The one thing a refused caller is told, whichever limit refused and whether the user exists or not. */
export const TOO_MANY_ATTEMPTS_MESSAGE = 'Too many failed sign-in attempts. Wait a few minutes and try again.';

/** Refused without checking the password: the username must wait, or the address is over its limit. */
export class TooManyAttempts extends DomainError {
  readonly code = 'TOO_MANY_ATTEMPTS';
  constructor(readonly limit: 'username' | 'ip', readonly retryAfterSeconds: number) {
    super(TOO_MANY_ATTEMPTS_MESSAGE);
    this.name = 'TooManyAttempts';
  }
}

const TABLE = 'sign_in_attempts';
// The limiters' key prefixes: their rows are named `${prefix}:${key}`.
const ADDRESS = 'ip';
const CHECKING = 'user-checking';
const FAILURES = 'user-failures';
// A username's failures are forgotten this long after the first of them, or after its last wait (Keycloak's default
// "failure reset time"), or at once when the password is right.
const FAILURE_MEMORY_SECONDS = 12 * 3600;

/** The limiter's count after taking a point, whether or not it went over (the library rejects with it then). */
async function take(limiter: RateLimiterPostgres, key: string): Promise<RateLimiterRes> {
  try {
    return await limiter.consume(key);
  } catch (refusal) {
    if (refusal instanceof RateLimiterRes) return refusal;
    throw refusal;
  }
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * Whom the per-address limit counts: the address, an IPv4-mapped IPv6 address as IPv4, and an IPv6 address by its
 * /64, which one subscriber typically holds whole.
 */
export function addressKey(ip: string): string {
  const address = ip.trim().toLowerCase().replace(/%.*$/, '');
  if (address === '') return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address)?.[1];
  if (mapped) return mapped;
  if (isIPv4(address) || !address.includes(':')) return address;
  const [head = '', tail] = address.split('::');
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  const rightWidth = right.reduce((width, group) => width + (group.includes('.') ? 2 : 1), 0);
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - rightWidth)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((group) => (parseInt(group, 16) || 0).toString(16)).join(':')}::/64`;
}

export class PasswordAttempts {
  /** Per username: checks under way (a point taken before, given back after). */
  readonly #checking: RateLimiterPostgres;
  /** Per username: failures in a row, until a right password. */
  readonly #failures: RateLimiterPostgres;
  /**
   * Per username, once failures and checks under way reach maxFailures: one check at a time, and none before the wait
   * set by the last failure is over. A check takes its turn by a point (a row that has lapsed starts again at 1).
   */
  readonly #turns: RateLimiterPostgres;
  /** Per username: the waits set so far, each twice as long as the one before. */
  readonly #waits: RateLimiterPostgres;
  /** Per address: attempts that did not succeed (and checks under way), in a fixed window. */
  readonly #addresses: RateLimiterPostgres;

  constructor(private readonly sql: Sql, private readonly secrets: Secrets, private readonly limits: SignInLimits) {
    // The pool the service already has, through Sql: prepared statements where the database allows them (not PGlite).
    const storeClient = {
      query: ({ text, values, name }: { text: string; values?: unknown[]; name?: string }) => sql.run(text, values, { prepare: name !== undefined }),
    };
    // The table comes from a migration; rows are swept with the service's other expired rows (sweep).
    const store = {
      storeClient, storeType: 'pool', tableName: TABLE, tableCreated: true, clearExpiredByTimeout: false,
    };
    const counter = (keyPrefix: string, duration: number) => new RateLimiterPostgres({
      ...store, keyPrefix, points: Number.MAX_SAFE_INTEGER, duration,
    });
    this.#checking = counter(CHECKING, FAILURE_MEMORY_SECONDS);
    this.#failures = counter(FAILURES, FAILURE_MEMORY_SECONDS);
    this.#waits = counter('user-waits', FAILURE_MEMORY_SECONDS);
    this.#turns = new RateLimiterPostgres({
      ...store, keyPrefix: 'user-turn', points: 1, duration: limits.maxLockSeconds,
    });
    this.#addresses = new RateLimiterPostgres({
      ...store, keyPrefix: ADDRESS, points: limits.ipMaxFailures, duration: limits.ipWindowSeconds,
    });
  }

  /**
   * Runs `check` (one password check: a value when right, null when not) unless a limit refuses first, with
   * TooManyAttempts and without calling it. `login` is what was typed as the username or email; the same rules hold
   * whether anyone has it. A right password forgets the username's failures and does not count against the address.
   */
  async check<T>(login: string, ip: string, check: () => Promise<T | null>): Promise<T | null> {
    const { maxFailures, ipMaxFailures } = this.limits;
    const user = this.secrets.hash('sign-in-attempts', login.trim().toLowerCase());
    const address = addressKey(ip);
    const {
      addressPoints, addressMsBeforeNext, checkingPoints, failuresBefore,
    } = await this.#start(user, address);
    if (addressPoints > ipMaxFailures) {
      await this.#checking.reward(user);
      throw this.#refuse('ip', addressMsBeforeNext);
    }
    // Once a username has failed, its failures and the checks under way count together, so that parallel guesses
    // cannot all slip through, and from maxFailures on they go one at a time. Before any failure, checks run side by
    // side: one user signing in from many places at once is not refused.
    const takesTurn = failuresBefore > 0 && failuresBefore + checkingPoints >= maxFailures;
    if (takesTurn) {
      const turn = await take(this.#turns, user);
      if (turn.consumedPoints > 1) {
        // Not checked, so not a failure of the username; the address keeps the point.
        await this.#checking.reward(user);
        throw this.#refuse('username', turn.msBeforeNext);
      }
    }

    let result: T | null;
    try {
      result = await check();
    } catch (error) {
      // Nothing was decided: give back what was taken.
      await Promise.all([
        this.#checking.reward(user), this.#addresses.reward(address), takesTurn && this.#turns.delete(user),
      ]).catch(() => undefined);
      throw error;
    }
    if (result !== null) {
      recordSignInEvent({ outcome: 'success' });
      if (failuresBefore > 0 || takesTurn) {
        await Promise.all([
          this.#checking.reward(user),
          this.#addresses.reward(address),
          this.#failures.delete(user),
          this.#turns.delete(user),
          this.#waits.delete(user),
        ]);
      } else {
        await this.#succeeded(user, address);
      }
      return result;
    }
    recordSignInEvent({ outcome: 'failure' });
    const { consumedPoints: failures } = await this.#failures.penalty(user);
    await this.#checking.reward(user);
    // A failure in turn sets the next wait. Another failure that reaches maxFailures sets one only if it can take the
    // turn, so when none is under way or set already: a wait is never doubled by checks that ran side by side.
    if (takesTurn || (failures >= maxFailures && (await take(this.#turns, user)).consumedPoints === 1)) await this.#wait(user, failures);
    return null;
  }

  /**
   * Takes a point from the address and one for this check, then reads the username's failures: one round trip
   * (the sign_in_start migration's function, whose statements each see what the one before committed; it locks the
   * address row before the check row, as #succeeded does, so two attempts never deadlock). Read after
   * counting this check, as a failure counts itself before it stops counting as a check: whatever the interleaving,
   * no failure of another attempt is missed from both counts. The rows are the limiters' own (their key prefixes and
   * expiry rules), which the rarer steps below still change through rate-limiter-flexible.
   */
  async #start(user: string, address: string): Promise<{
    addressPoints: number; addressMsBeforeNext: number; checkingPoints: number; failuresBefore: number;
  }> {
    const now = Date.now();
    const row = await this.sql.one<{ address_points: number; address_expire_at: string | null; checking_points: number; failures: number | null }>(
      'select * from sign_in_attempt_start($1, $2, $3, $4, $5, $6)',
      [`${ADDRESS}:${address}`, now + this.limits.ipWindowSeconds * 1000, `${CHECKING}:${user}`, now + FAILURE_MEMORY_SECONDS * 1000, `${FAILURES}:${user}`, now],
      { prepare: true },
    );
    if (!row) throw new Error('sign_in_attempt_start returned no row');
    const expire = row.address_expire_at === null ? null : Number(row.address_expire_at);
    return {
      addressPoints: row.address_points,
      addressMsBeforeNext: expire === null ? -1 : Math.max(expire - Date.now(), 0),
      checkingPoints: row.checking_points,
      failuresBefore: row.failures ?? 0,
    };
  }

  /**
   * A right password for a username with no failures: the address's point and the check's given back, as the limiters'
   * reward() does (an upsert of -1), in one round trip (the sign_in_start migration's second function).
   */
  async #succeeded(user: string, address: string): Promise<void> {
    const now = Date.now();
    await this.sql.run(
      'select sign_in_attempt_succeeded($1, $2, $3, $4, $5)',
      [`${ADDRESS}:${address}`, now + this.limits.ipWindowSeconds * 1000, `${CHECKING}:${user}`, now + FAILURE_MEMORY_SECONDS * 1000, now],
      { prepare: true },
    );
  }

  /** Sets the username's next wait: lockSeconds the first time, twice the last one after, up to maxLockSeconds. */
  async #wait(user: string, failures: number): Promise<void> {
    const { consumedPoints: waits } = await this.#waits.penalty(user);
    const wait = Math.min(this.limits.lockSeconds * 2 ** (waits - 1), this.limits.maxLockSeconds);
    // Kept for the failure memory from this wait on, not from the first failure: a long attack never finds them
    // forgotten. A username that waits counts as failed maxFailures times at least, so every attempt takes a turn.
    await Promise.all([
      this.#turns.block(user, wait),
      this.#waits.set(user, waits, FAILURE_MEMORY_SECONDS),
      this.#failures.set(user, Math.max(failures, this.limits.maxFailures), FAILURE_MEMORY_SECONDS),
    ]);
  }

  #refuse(limit: 'username' | 'ip', msBeforeNext: number): TooManyAttempts {
    recordSignInEvent({ outcome: 'throttled', limit });
    return new TooManyAttempts(limit, seconds(msBeforeNext));
  }

  /** Deletes the counts that have lapsed. */
  async sweep(): Promise<void> {
    await this.sql.run(`delete from ${TABLE} where expire < $1`, [Date.now()]);
  }
}
