// Turns an Apollo error into what a form shows: messages per input field (extensions.field) and the rest.
import { CombinedGraphQLErrors } from '@apollo/client/errors';

export interface FormErrors {
  fields: Record<string, string>;
  general: string | undefined;
}

export const NO_ERRORS: FormErrors = { fields: {}, general: undefined };

export function formErrorsOf(error: unknown): FormErrors {
  if (!error) return NO_ERRORS;
  if (CombinedGraphQLErrors.is(error)) {
    const fields: Record<string, string> = {};
    const general: string[] = [];
    for (const { message, extensions } of error.errors) {
      const field = extensions?.field;
      if (extensions?.code === 'BAD_USER_INPUT' && typeof field === 'string') {
        fields[field] = fields[field] ? `${fields[field]} ${message}` : message;
      } else {
        general.push(message);
      }
    }
    return { fields, general: general.length > 0 ? general.join(' ') : undefined };
  }
  const message = error instanceof Error ? error.message : 'unknown error';
  return { fields: {}, general: `Could not reach the service: ${message}` };
}
