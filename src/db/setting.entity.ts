// Installation-wide values, such as the check that every instance runs with the same APP_KEY.
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'settings' })
export class Setting {
  @PrimaryKey({ length: 100 })
  key!: string;

  @Property({ type: 'text' })
  value!: string;
}
