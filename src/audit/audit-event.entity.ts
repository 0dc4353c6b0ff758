// One row of the append-only audit log (table audit_events). Written only through audit-log.service.ts, in plain SQL;
// the entity exists so the schema the migrations build stays checked against the code.
import {
  Entity, Enum, Index, PrimaryKey, Property,
} from '@mikro-orm/core';

@Entity({ tableName: 'audit_events' })
// Newest first, and newest first within each filter: every list walks one of these backwards.
@Index({ name: 'audit_events_occurred_at_id_index', properties: ['occurredAt', 'id'] })
@Index({ name: 'audit_events_action_index', properties: ['action', 'occurredAt', 'id'] })
@Index({ name: 'audit_events_actor_id_index', properties: ['actorId', 'occurredAt', 'id'] })
@Index({ name: 'audit_events_target_id_index', properties: ['targetId', 'occurredAt', 'id'] })
export class AuditEvent {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  occurredAt!: Date;

  @Enum({ items: ['user', 'client', 'cli'] })
  actorType!: 'user' | 'client' | 'cli';

  @Property({ type: 'text', nullable: true })
  actorId?: string | null;

  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'text' })
  targetType!: string;

  @Property({ type: 'text', nullable: true })
  targetId?: string | null;

  @Property({ type: 'text', nullable: true })
  ip?: string | null;

  @Property({ type: 'text', nullable: true })
  userAgent?: string | null;

  /** `{ field: { before, after } }` of the safe fields that changed. */
  @Property({ type: 'jsonb', nullable: true })
  changes?: Record<string, unknown> | null;
}
