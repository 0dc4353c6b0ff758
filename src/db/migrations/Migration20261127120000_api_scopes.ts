// API scopes: which of them each auth client may ask for. Clients that exist already get every one, so nothing that
// works today breaks; a client created later gets only what is listed for it. Also announces a revoked or changed
// grant (channel `grants`), which tokens checked before rest on (src/oidc/token-cache.ts).
import { Migration } from '@mikro-orm/migrations';

// The catalogue as it stood when this migration was written (src/access-control/scopes.ts may grow later).
const API_SCOPES = [
  'auth_clients:read', 'auth_clients:write', 'personal_access_tokens',
  'users:read', 'users:write', 'groups:read', 'groups:write', 'audit_log:read',
];
const LIST = `array[${API_SCOPES.map((scope) => `'${scope}'`).join(', ')}]::text[]`;

export class Migration20261127120000_api_scopes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "auth_clients" add column "scopes" text[] not null default '{}';`);
    this.addSql(`update "auth_clients" set "scopes" = ${LIST};`);
    this.addSql(`alter table "auth_clients" add constraint "auth_clients_scopes_check" check ("scopes" <@ ${LIST});`);
    this.addSql(`create trigger "oidc_payloads_grant_changed" after update or delete on "oidc_payloads" for each row when (old.model = 'Grant') execute function notify_row_change('grants');`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "oidc_payloads_grant_changed" on "oidc_payloads";`);
    this.addSql(`alter table "auth_clients" drop constraint if exists "auth_clients_scopes_check";`);
    this.addSql(`alter table "auth_clients" drop column "scopes";`);
  }

}
