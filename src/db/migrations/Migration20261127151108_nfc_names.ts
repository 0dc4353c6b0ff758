// Names are compared as people see them: stored composed (NFC), so "Café" typed composed or decomposed is one name to
// the unique indexes on lower(name). Rows written before are composed here, except where that would collide with
// another row: those are left as they are for a person to rename, rather than failing the start.
import { Migration } from '@mikro-orm/migrations';

const composeNames = (table: string) => `update "${table}" t set "name" = normalize(t."name", NFC)
  where t."name" <> normalize(t."name", NFC)
    and not exists (select 1 from "${table}" o where o."id" <> t."id" and lower(normalize(o."name", NFC)) = lower(normalize(t."name", NFC)));`;

export class Migration20261127151108_nfc_names extends Migration {

  override async up(): Promise<void> {
    this.addSql(composeNames('auth_clients'));
    this.addSql(composeNames('groups'));
  }

  override async down(): Promise<void> {
    // Composed names are what any earlier version would have stored for the same typing: nothing to undo.
  }

}
