// A client's lastUsedAt, written at most once a minute per client (shared/last-used.ts), is announced on a channel of
// its own, auth_clients_used, that only the cached pages of the client list listen to (auth-client.service.ts): the
// token and client caches, which do not show it, keep ignoring it (the client_lifecycle migration's trigger).
import { Migration } from '@mikro-orm/migrations';

export class Migration20261127171000_client_use_announced extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create trigger "auth_clients_used" after update of "last_used_at" on "auth_clients" for each row when (old.last_used_at is distinct from new.last_used_at) execute function notify_row_change('auth_clients_used');`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "auth_clients_used" on "auth_clients";`);
  }

}
