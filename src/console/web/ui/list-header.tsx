// The top of a list page that can be searched (Auth Clients, Users, Groups): its title, its create button where the
// viewer may create, and the search box; and what the list says when it has no rows.
import { TextField } from './field';
import { EmptyState } from './states';

export function SearchableListHeader({
  titleId, title, create, search, onSearch, placeholder,
}: {
  titleId: string;
  title: string;
  /** The create button, or null where the viewer may not create. */
  create: { label: string; onClick: () => void } | null;
  search: string;
  onSearch: (value: string) => void;
  placeholder: string;
}) {
  return (
    <>
      <div className="page-header">
        <h1 id={titleId}>{title}</h1>
        {create ? <button type="button" onClick={create.onClick}>{create.label}</button> : null}
      </div>
      <div className="toolbar" role="search">
        <TextField label="Search" type="search" value={search} onChange={onSearch} placeholder={placeholder} />
      </div>
    </>
  );
}

/** An empty list: nothing matches the search, or there is nothing yet (`noun` singular; its plural adds an s). */
export function SearchEmptyState({ search, noun }: { search: string; noun: string }) {
  return <EmptyState title={search ? `No ${noun} matches "${search}".` : `No ${noun}s yet.`} />;
}
