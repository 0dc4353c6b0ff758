// Signing-key rotation: when a key was replaced by a newer one.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261126172053_key_rotation extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "crypto_keys" add column "retired_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "crypto_keys" drop column "retired_at";`);
  }

}
