// Thin GraphQL resolver for reading the audit log.
import { Args, Query, Resolver } from 'type-graphql';
import { toConnection } from '../graphql/connection.js';
import { AuditLog } from './audit-log.service.js';
import { AuditEventConnection, AuditEventsArgs, AuditEventType } from './audit-event.type.js';

@Resolver(() => AuditEventType)
export class AuditLogResolver {
  constructor(private readonly auditLog: AuditLog) {}

  @Query(() => AuditEventConnection, { description: 'The audit log, newest first. Needs view-audit_log and the scope audit_log:read' })
  async auditEvents(@Args() {
    first, after, action, actorId, targetId,
  }: AuditEventsArgs): Promise<AuditEventConnection> {
    const page = await this.auditLog.list({
      first: first ?? 50, after, action, actorId, targetId,
    });
    return toConnection(page, after, (event) => AuditEventType.from(event));
  }
}
