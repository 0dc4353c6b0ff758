// What became of password checks, as events to listen to (the brute-force test counts the checks with them). Nothing
// here names the user or carries the password.

/** A password checked and right, checked and wrong (or no such user), or refused unchecked by a limit. */
export type SignInEvent =
  | { outcome: 'success' }
  | { outcome: 'failure' }
  | { outcome: 'throttled'; limit: 'username' | 'ip' };

const listeners = new Set<(event: SignInEvent) => void>();

/** Calls `listener` on every event from now on; returns what stops it. */
export function onSignInEvent(listener: (event: SignInEvent) => void): () => void {
  listeners.add(listener);
  return () => { listeners.delete(listener); };
}

export function recordSignInEvent(event: SignInEvent): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch {
      // A listener's own failure must never fail a sign-in.
    }
  }
}
