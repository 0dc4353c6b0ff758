// The signed-in user and what they may do: GraphQL `viewer`, shared by the shell and every page.
import { gql, type TypedDocumentNode } from '@apollo/client';
import { useQuery } from '@apollo/client/react';

export interface Viewer {
  id: string;
  username: string;
  email: string;
  isSuperAdmin: boolean;
  effectivePermissions: string[];
}

export const VIEWER_QUERY: TypedDocumentNode<{ viewer: Viewer | null }> = gql`
  query ConsoleViewer {
    viewer { id username email isSuperAdmin effectivePermissions }
  }
`;

export interface ViewerState {
  viewer: Viewer | undefined;
  loading: boolean;
  error: Error | undefined;
  /** Whether the viewer holds `permission` (directly, through a group, or as Super Admin); null means anyone. */
  may: (permission: string | null) => boolean;
}

export function useViewer(): ViewerState {
  const { data, loading, error } = useQuery(VIEWER_QUERY, { fetchPolicy: 'cache-first' });
  const viewer = data?.viewer ?? undefined;
  return {
    viewer,
    loading,
    error,
    may: (permission) => permission === null || Boolean(viewer?.effectivePermissions.includes(permission)),
  };
}
