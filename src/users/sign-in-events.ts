// What became of password checks, for a metrics module to read (prom-client counters): running totals of this
// process, and a listener for each event. Nothing here names the user or carries the password.

/** A password checked and right, checked and wrong (or no such user), or refused unchecked by a limit. */
export type SignInEvent =
  | { outcome: 'success' }
  | { outcome: 'failure' }
  | { outcome: 'throttled'; limit: 'username' | 'ip' };

export interface SignInCounts {
  successes: number;
  /** Wrong passwords, unknown and deactivated users: each one a password checked. */
  failures: number;
  /** Refused without checking the password: the username waits. */
  throttledByUsername: number;
  /** Refused without checking the password: the address is over its limit (429). */
  throttledByIp: number;
}

const counts: SignInCounts = {
  successes: 0, failures: 0, throttledByUsername: 0, throttledByIp: 0,
};
const listeners = new Set<(event: SignInEvent) => void>();

/** The totals since this process started. */
export function signInCounts(): Readonly<SignInCounts> {
  return { ...counts };
}

/** Calls `listener` on every event from now on; returns what stops it. */
export function onSignInEvent(listener: (event: SignInEvent) => void): () => void {
  listeners.add(listener);
  return () => { listeners.delete(listener); };
}

export function recordSignInEvent(event: SignInEvent): void {
  if (event.outcome === 'success') counts.successes += 1;
  else if (event.outcome === 'failure') counts.failures += 1;
  else if (event.limit === 'username') counts.throttledByUsername += 1;
  else counts.throttledByIp += 1;
  for (const listener of listeners) {
    try {
      listener(event);
    } catch {
      // A metrics listener's own failure must never fail a sign-in.
    }
  }
}
