// What a new password must be (OWASP ASVS 4.0.3 level 2, §2.1): 12 to 128 characters of any kind (2.1.1, 2.1.2, 2.1.4),
// no composition rules (2.1.9), not the username or email, and not among the most common passwords or close to one
// (2.1.7), as judged by zxcvbn-ts with its common-language dictionaries of leaked passwords, names and words. Applied
// wherever a password is set: user creation (GraphQL, CLI, the first Super Admin from ADMIN_PASSWORD) and changes.
// Signing in never applies it, so a password set under older rules still works until it is changed.
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;
/**
 * zxcvbn's score (0 to 4) from which a password is accepted: 3 is "safely unguessable: moderate protection from an
 * offline slow-hash attack", about 10^8 guesses or more. Common passwords, their l33t and padded variants, keyboard
 * walks, repeats and sequences score lower.
 */
export const PASSWORD_MIN_SCORE = 3;

// Loading the dictionaries (0.4 MB) and building the estimator take about 0.1 s: done on the first password set, not
// at start-up.
let estimator: Promise<ZxcvbnFactory> | undefined;
async function strength(password: string, userInputs: string[]) {
  estimator ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')])
    .then(([{ ZxcvbnFactory }, common]) => new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs }));
  return (await estimator).check(password, userInputs);
}

/** Who the password is for: it must not be, or be built from, their username or email. */
export interface PasswordOwner {
  username: string;
  email: string;
}

/** Why `password` may not be set for `owner`, or null when it may. Length counts characters (code points), not bytes. */
export async function passwordProblem(password: string, owner: PasswordOwner): Promise<string | null> {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    return `A password is ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`;
  }
  const username = owner.username.trim().toLowerCase();
  const email = owner.email.trim().toLowerCase();
  const lowered = password.trim().toLowerCase();
  if (lowered === username || lowered === email) return 'A password must not be the username or the email address';
  const userInputs = [username, email, email.split('@')[0] ?? ''].filter(Boolean);
  if ((await strength(password, userInputs)).score < PASSWORD_MIN_SCORE) {
    return 'This password is too easy to guess: it is, or is close to, a common password, a common pattern or the username; '
      + 'choose a longer, less predictable one, such as a few unrelated words';
  }
  return null;
}
