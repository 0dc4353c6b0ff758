// Shapes a Page as a Relay connection: edges with cursors, pageInfo, and totalCount counted only when selected.
import type { Page } from '../shared/pages.js';

export function toConnection<T, N>(page: Page<T>, after: string | null | undefined, toNode: (item: T) => N) {
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
