// What a user holds at the provider, findable without opening every sealed row: the account a token, grant, code or
// browser session belongs to, stored plain beside it (a user id is not a credential), so deactivating or deleting a
// user, or changing their password, ends their sessions and tokens in one indexed statement (oidc/user-tokens.ts).
import { Migration } from '@mikro-orm/migrations';

export class Migration20261127141000_user_tokens extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "oidc_payloads" add column "account_id" varchar(255) null;`);
    this.addSql(`create index "oidc_payloads_account_id_index" on "oidc_payloads" ("account_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "oidc_payloads_account_id_index";`);
    this.addSql(`alter table "oidc_payloads" drop column if exists "account_id";`);
  }

}
