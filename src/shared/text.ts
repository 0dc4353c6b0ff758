// Checks on text that people type into names and URLs.

/** C0 and C1 control characters (line breaks, tabs, NUL, ...): they hide in lists and logs, and NUL breaks PostgreSQL text. */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
