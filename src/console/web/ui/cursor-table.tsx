// A table of one page of a GraphQL connection, with Previous/Next over cursors kept here (the API pages forward).
import { useState, type ReactNode } from 'react';
import { EmptyState, Loading } from './states';

export interface Column<Row> {
  header: string;
  cell: (row: Row) => ReactNode;
  className?: string;
}

/** One page of a GraphQL connection, as the API's lists answer it. */
export interface Connection<Node> { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: Node }> }

/** The cursors of the pages seen so far: `after` for the current page, and the way back. */
export interface CursorPages {
  after: string | undefined;
  page: number;
  next: (endCursor: string) => void;
  previous: () => void;
  reset: () => void;
}

export function useCursorPages(): CursorPages {
  const [stack, setStack] = useState<Array<string | undefined>>([undefined]);
  return {
    after: stack[stack.length - 1],
    page: stack.length,
    next: (endCursor) => setStack((current) => [...current, endCursor]),
    previous: () => setStack((current) => (current.length > 1 ? current.slice(0, -1) : current)),
    reset: () => setStack([undefined]),
  };
}

export function CursorTable<Row extends { id: string }>({
  caption, columns, connection, pages, loading, empty,
}: {
  caption: string;
  columns: Array<Column<Row>>;
  /** Undefined until the first answer. */
  connection: Connection<Row> | undefined;
  pages: CursorPages;
  loading: boolean;
  /** Shown instead of the table when there are no rows. */
  empty: ReactNode;
}) {
  const rows = connection?.edges.map(({ node }) => node);
  const endCursor = connection?.pageInfo.endCursor;
  const page = pages.page;
  if (!rows) return loading ? <Loading /> : null;
  return (
    <div className="cursor-table" aria-busy={loading}>
      {rows.length === 0 ? (typeof empty === 'string' ? <EmptyState title={empty} /> : empty) : (
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">{caption}</caption>
            <thead>
              <tr>
                {columns.map((column) => <th key={column.header} scope="col" className={column.className}>{column.header}</th>)}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id}>
                  {columns.map((column) => <td key={column.header} data-label={column.header} className={column.className}>{column.cell(row)}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager" aria-label={`${caption} pages`}>
        <button type="button" className="secondary" onClick={pages.previous} disabled={page <= 1 || loading}>Previous</button>
        <span role="status">
          {loading ? 'Loading…' : `Page ${page}${connection ? ` · ${connection.totalCount} in all` : ''}`}
        </span>
        <button type="button" className="secondary" onClick={() => { if (endCursor) pages.next(endCursor); }} disabled={!connection?.pageInfo.hasNextPage || loading}>Next</button>
      </nav>
    </div>
  );
}
