// The console's pages: path, navigation label, the permission needed to use it (null: anyone signed in), and element.
import type { ReactNode } from 'react';
import { PERMISSION_CATALOGUE } from '../../access-control/permissions.js';
import { AuthClientsPage } from './pages/auth-clients';

export interface ConsolePage {
  path: string;
  label: string;
  permission: string | null;
  element: ReactNode;
}

/** In navigation order. */
export const PAGES: ConsolePage[] = [
  {
    path: '/auth-clients', label: 'Auth Clients', permission: 'view-auth_clients', element: <AuthClientsPage />,
  },
];

/** What a person reads for a permission the refusal page names, e.g. View Auth Clients. */
export const PERMISSION_TITLES: Record<string, string> = Object.fromEntries(PERMISSION_CATALOGUE.map(({ name, title }) => [name, title]));
