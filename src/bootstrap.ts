// First-start work that every instance runs, one at a time: check APP_KEY, make keys, create the first Super Admin.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { ConfigError, type Config } from './config.js';
import { untimedTransaction } from './db/orm.js';
import { Setting } from './db/setting.entity.js';
import type { Sql } from './db/sql.js';
import { ensureProviderKeys, readProviderKeys, type ProviderKeys } from './oidc/keys.js';
import { ValidationFailed } from './shared/errors.js';
import { randomToken, type Secrets } from './shared/secrets.js';
import { User } from './users/user.entity.js';
import type { UserService } from './users/user.service.js';

// Any fixed number: instances starting together on one database wait for each other on it.
const BOOTSTRAP_LOCK = 4_200_117;

export class AppKeyMismatch extends Error {
  constructor() {
    super('APP_KEY does not match the key this database was first started with; every instance must use the same APP_KEY');
    this.name = 'AppKeyMismatch';
  }
}

export interface BootstrapResult {
  keys: ProviderKeys;
  /** Set only when this start created the admin with a generated password, to be shown once. */
  createdAdmin?: { username: string; password?: string };
}

/** Runs `work` in a transaction that holds the installation-wide bootstrap lock. */
export function withBootstrapLock<T>(orm: MikroORM, work: (em: EntityManager) => Promise<T>): Promise<T> {
  return untimedTransaction(orm, async (em) => {
    await em.execute('select pg_advisory_xact_lock(?)', [BOOTSTRAP_LOCK]);
    return work(em);
  });
}

const appKeyCheckValue = (secrets: Secrets) => secrets.hash('app-key-check', 'auth-clients');

/** Records a check value of APP_KEY on first use; afterwards refuses any other key. */
export async function checkAppKey(em: EntityManager, secrets: Secrets): Promise<void> {
  const expected = appKeyCheckValue(secrets);
  const stored = await em.findOne(Setting, { key: 'app_key_check' });
  if (!stored) {
    em.create(Setting, { key: 'app_key_check', value: expected });
    await em.flush();
  } else if (stored.value !== expected) {
    throw new AppKeyMismatch();
  }
}

async function ensureFirstAdmin(em: EntityManager, config: Config, users: UserService): Promise<BootstrapResult['createdAdmin']> {
  if (await em.count(User, {}) > 0) return undefined; // never touch an installation that has users
  const username = config.admin?.username ?? 'admin';
  const password = config.admin?.password ?? randomToken(18);
  try {
    await users.create(em, {
      username, email: `${username}@localhost.localdomain`, password, isSuperAdmin: true,
    });
  } catch (error) {
    // ADMIN_USERNAME or ADMIN_PASSWORD breaks the rules every user follows (the password policy included).
    if (error instanceof ValidationFailed) {
      const [problem] = error.problems;
      throw new ConfigError(problem.field === 'password' ? 'ADMIN_PASSWORD' : 'ADMIN_USERNAME', `is refused: ${problem.message}`);
    }
    throw error;
  }
  return { username, password: config.admin ? undefined : password };
}

/**
 * The keys, when bootstrap has nothing to make: the APP_KEY check is recorded (and matches, or this throws), current
 * keys exist, and so do users. Plain reads, without the lock: each of these, once true, stays true (a rotation adds the
 * new keys in the transaction that retires the old), so a restart of a set-up installation needs neither the lock nor
 * MikroORM. Undefined when something is missing, for bootstrap to make under the lock.
 */
async function alreadySetUp(sql: Sql, secrets: Secrets): Promise<ProviderKeys | undefined> {
  const [state] = await sql.rows<{ appKeyCheck: string | null; hasUsers: boolean }>(
    `select (select value from settings where key = 'app_key_check') as "appKeyCheck", exists (select 1 from users) as "hasUsers"`,
  );
  if (state?.appKeyCheck == null) return undefined;
  if (state.appKeyCheck !== appKeyCheckValue(secrets)) throw new AppKeyMismatch();
  return state.hasUsers ? readProviderKeys(sql, secrets) : undefined;
}

export async function bootstrap(orm: MikroORM, sql: Sql, config: Config, secrets: Secrets, users: UserService): Promise<BootstrapResult> {
  const keys = await alreadySetUp(sql, secrets);
  if (keys) return { keys };
  return withBootstrapLock(orm, async (em) => {
    await checkAppKey(em, secrets);
    const keys = await ensureProviderKeys(em, secrets);
    const createdAdmin = await ensureFirstAdmin(em, config, users);
    return { keys, createdAdmin };
  });
}
