// The Admin Console client: the first-party public client that the console (/console) and GraphiQL (/graphql) sign in
// through. The service keeps it itself: created at every start when missing, and put back in step with PUBLIC_URL.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { API_SCOPE_NAMES } from '../access-control/scopes.js';
import { CLI_SOURCE, diffChanges, recordAuditEvent } from '../audit/audit-log.service.js';
import { withBootstrapLock } from '../bootstrap.js';
import type { Sql } from '../db/sql.js';
import type { Logger } from '../shared/logger.js';
import { AuthClientGrant } from './auth-client.entity.js';
import { normalizeRedirectUri } from './auth-client.validation.js';

export const ADMIN_CONSOLE_NAME = 'Admin Console';
/** auth_clients.built_in of the Admin Console client. */
export const ADMIN_CONSOLE_BUILT_IN = 'admin_console';
/** What the console asks for: who the user is, and every API scope (their permissions still decide what they may do). */
export const ADMIN_CONSOLE_SCOPE = ['openid', 'profile', 'email', ...API_SCOPE_NAMES].join(' ');

/** The console's callback and GraphiQL's, under PUBLIC_URL. */
export function adminConsoleRedirectUris(publicUrl: string): { console: string; playground: string } {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    console: normalizeRedirectUri(`${base}/console/callback`),
    playground: normalizeRedirectUri(`${base}/graphql/callback`),
  };
}

/** The settings the service holds the Admin Console client to, as the row stores them. */
type AdminConsoleSettings = {
  grants: string[];
  redirectUris: string[];
  scopes: string[];
  confidential: boolean;
  skipConsent: boolean;
  enabled: boolean;
};

type AdminConsoleRow = AdminConsoleSettings & { id: string };

function wanted(publicUrl: string): AdminConsoleSettings {
  const uris = adminConsoleRedirectUris(publicUrl);
  return {
    grants: [AuthClientGrant.AUTHORIZATION_CODE],
    redirectUris: [uris.console, uris.playground],
    scopes: [...API_SCOPE_NAMES],
    confidential: false,
    skipConsent: true,
    // A disabled console would lock every administrator out of the browser: a start always enables it again.
    enabled: true,
  };
}

const SETTINGS_COLUMNS = `id, grants, redirect_uris as "redirectUris", scopes, confidential, skip_consent as "skipConsent", enabled`;

const inStep = (row: AdminConsoleRow, settings: AdminConsoleSettings) => (Object.keys(settings) as Array<keyof AdminConsoleSettings>)
  .every((key) => JSON.stringify(row[key]) === JSON.stringify(settings[key]));

// Text arrays go in as JSON: knex would spread a JS array into a list of parameters.
const TEXT_ARRAY = `array(select jsonb_array_elements_text(?::jsonb))`;

async function createIn(em: EntityManager, settings: AdminConsoleSettings, logger?: Logger): Promise<string> {
  // A client of the installation may already be called "Admin Console": it stays as it is, and this one is told apart.
  for (const name of [ADMIN_CONSOLE_NAME, `${ADMIN_CONSOLE_NAME} (built-in)`, `${ADMIN_CONSOLE_NAME} (built-in ${Date.now()})`]) {
    const [row] = await em.execute<Array<{ id: string }>>(
      `insert into auth_clients (id, name, grants, redirect_uris, scopes, confidential, skip_consent, enabled, built_in)
       values (gen_random_uuid(), ?, ${TEXT_ARRAY}, ${TEXT_ARRAY}, ${TEXT_ARRAY}, ?, ?, ?, ?)
       on conflict do nothing returning id`,
      [name, JSON.stringify(settings.grants), JSON.stringify(settings.redirectUris), JSON.stringify(settings.scopes),
        settings.confidential, settings.skipConsent, settings.enabled, ADMIN_CONSOLE_BUILT_IN],
    );
    if (!row) continue;
    if (name !== ADMIN_CONSOLE_NAME) logger?.info(`Another auth client is named "${ADMIN_CONSOLE_NAME}": the built-in one is named "${name}"`);
    await recordAuditEvent(em, {
      ...CLI_SOURCE, action: 'auth_client.created', target: { type: 'auth_client', id: row.id }, changes: diffChanges(null, { name, ...settings }),
    });
    return row.id;
  }
  throw new Error('Could not name the Admin Console client');
}

/**
 * Makes sure the Admin Console client exists with the settings above, and returns its id. A plain read when it is
 * already in step (every start after the first); otherwise, under the bootstrap lock, it is created or set back, with
 * an audit event as the operator's (a change of PUBLIC_URL is the operator's doing).
 */
export async function ensureAdminConsole(orm: MikroORM, sql: Sql, publicUrl: string, logger?: Logger): Promise<{ clientId: string }> {
  const settings = wanted(publicUrl);
  const current = await sql.one<AdminConsoleRow>(`select ${SETTINGS_COLUMNS} from auth_clients where built_in = $1`, [ADMIN_CONSOLE_BUILT_IN]);
  if (current && inStep(current, settings)) return { clientId: current.id };
  return withBootstrapLock(orm, async (em) => {
    const [row] = await em.execute<AdminConsoleRow[]>(`select ${SETTINGS_COLUMNS} from auth_clients where built_in = ? for update`, [ADMIN_CONSOLE_BUILT_IN]);
    if (!row) return { clientId: await createIn(em, settings, logger) };
    if (inStep(row, settings)) return { clientId: row.id };
    await em.execute(
      `update auth_clients set grants = ${TEXT_ARRAY}, redirect_uris = ${TEXT_ARRAY}, scopes = ${TEXT_ARRAY}, confidential = ?,
         skip_consent = ?, enabled = ?, updated_at = now()
       where id = ?`,
      [JSON.stringify(settings.grants), JSON.stringify(settings.redirectUris), JSON.stringify(settings.scopes),
        settings.confidential, settings.skipConsent, settings.enabled, row.id],
      'run',
    );
    // A secret it may have had from before stops working with the switch to public (it is never checked again).
    await em.execute('delete from auth_client_secrets where client_id = ?', [row.id], 'run');
    const { id, ...before } = row;
    await recordAuditEvent(em, {
      ...CLI_SOURCE, action: 'auth_client.updated', target: { type: 'auth_client', id }, changes: diffChanges(before, settings),
    });
    return { clientId: id };
  });
}
