// Relay connections: PageInfo, one generic connection type per node type, and the shaping of a Page into one.
import {
  Field, Int, ObjectType, type ClassType,
} from 'type-graphql';
import type { Page } from '../shared/paging.js';

@ObjectType('PageInfo', { simpleResolvers: true })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field()
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export interface ConnectionShape<N> {
  edges: { cursor: string; node: N }[];
  pageInfo: PageInfo;
  totalCount: () => Promise<number>;
}

/**
 * The base of a `<Name>Connection` type with its `<Name>Edge` (type-graphql's generic types): extend it and decorate
 * the subclass with `@ObjectType('<Name>Connection', ...)`.
 */
export function Connection<N extends object>(name: string, node: ClassType<N>) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class Edge {
    @Field()
    cursor!: string;

    @Field(() => node)
    node!: N;
  }

  @ObjectType({ simpleResolvers: true })
  abstract class ConnectionBase implements ConnectionShape<N> {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'How many match, on all pages' })
    totalCount!: () => Promise<number>;
  }
  return ConnectionBase;
}

/** Shapes a Page as a Relay connection: edges with cursors, pageInfo, and totalCount counted only when selected. */
export function toConnection<T, N>(page: Page<T>, after: string | null | undefined, toNode: (item: T) => N): ConnectionShape<N> {
  const edges = page.items.map((item) => ({ cursor: page.cursorOf(item), node: toNode(item) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      // Cheap and true enough for forward paging: a cursor was given, so a page came before (Relay allows this).
      hasPreviousPage: Boolean(after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    // GraphQL's default resolver calls a function-valued field: the count query runs only if totalCount is asked for.
    totalCount: () => page.countAll(),
  };
}
