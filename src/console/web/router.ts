// The console's client-side routes: paths under the app's base (/console), history API only, no library.
import { useSyncExternalStore, type MouseEvent } from 'react';

let base = '/console';
const listeners = new Set<() => void>();

/** Sets the app's URL path (from index.html's location at start), e.g. /console or /auth/console behind a proxy. */
export function setBase(path: string): void {
  base = path.replace(/\/$/, '');
}

export function appBase(): string {
  return base;
}

/** The path within the app, e.g. /auth-clients. */
function currentPath(): string {
  const path = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : location.pathname;
  return path === '' ? '/' : path;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, currentPath);
}

export function navigate(path: string, { replace = false } = {}): void {
  const url = `${base}${path === '/' ? '' : path}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const listener of listeners) listener();
}

/** For an <a href>'s onClick: stays in the app unless a modifier asks for a new tab. */
export function followLink(event: MouseEvent<HTMLAnchorElement>, path: string): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(path);
}

export function hrefOf(path: string): string {
  return `${base}${path === '/' ? '' : path}`;
}
