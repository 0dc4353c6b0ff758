// The GraphQL face of an audit event, its connection and the arguments of the auditEvents list.
import { GraphQLJSON } from 'graphql-scalars';
import {
  ArgsType, Field, ID, Int, ObjectType,
} from 'type-graphql';
import { Connection } from '../graphql/connection.js';
import type { AuditChanges, AuditEventRecord } from './audit-log.service.js';

@ObjectType('AuditEvent', { simpleResolvers: true, description: 'One change: who made it, when, from where, and what it changed' })
export class AuditEventType {
  @Field(() => ID)
  id!: string;

  @Field()
  occurredAt!: Date;

  @Field({ description: 'user, client (a client-credentials token acting as the client) or cli' })
  actorType!: string;

  @Field(() => String, { nullable: true, description: 'The user id or client id; null for the CLI' })
  actorId!: string | null;

  @Field({ description: 'e.g. auth_client.created, personal_access_token.revoked, permission.granted' })
  action!: string;

  @Field({ description: 'auth_client, personal_access_token, user, group or audit_log' })
  targetType!: string;

  @Field(() => String, { nullable: true })
  targetId!: string | null;

  @Field(() => String, { nullable: true, description: 'The caller\'s address, for GraphQL requests' })
  ip!: string | null;

  @Field(() => String, { nullable: true, description: 'The caller\'s User-Agent, for GraphQL requests' })
  userAgent!: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: '{ field: { before, after } } of the fields that changed; never a secret' })
  changes!: AuditChanges | null;

  static from(record: AuditEventRecord): AuditEventType {
    return Object.assign(new AuditEventType(), {
      id: record.id,
      occurredAt: record.occurredAt,
      actorType: record.actorType,
      actorId: record.actorId,
      action: record.action,
      targetType: record.targetType,
      targetId: record.targetId,
      ip: record.ip,
      userAgent: record.userAgent,
      changes: record.changes,
    });
  }
}

@ObjectType('AuditEventConnection', { simpleResolvers: true })
export class AuditEventConnection extends Connection('AuditEvent', AuditEventType) {}

@ArgsType()
export class AuditEventsArgs {
  @Field(() => Int, { nullable: true, defaultValue: 50, description: 'Page size, 0 to 100' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page' })
  after?: string | null;

  @Field(() => String, { nullable: true, description: 'Only this action, e.g. auth_client.created' })
  action?: string | null;

  @Field(() => String, { nullable: true, description: 'Only changes made by this user or client' })
  actorId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only changes to this auth client, user, group, token ...' })
  targetId?: string | null;
}
