// Checks on text that people type into names and URLs.

/** C0 and C1 control characters (line breaks, tabs, NUL, ...): they hide in lists and logs, and NUL breaks PostgreSQL text. */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Characters that are not seen, or change how the text around them is seen: controls (Cc), format characters (Cf:
 * bidi embeddings, overrides, isolates and marks, zero-width spaces and joiners, the word joiner, the BOM, the soft
 * hyphen), line and paragraph separators, private-use and lone surrogate code points, and the Hangul fillers, which
 * render blank. A name holding one can look like another name, or reorder what is shown after it.
 */
const INVISIBLE_CHARACTERS = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]/u;

/**
 * What a person means by what they typed as a name: composed (NFC), any space a plain space, trimmed of spaces, tabs
 * and line breaks. Not of a BOM or a zero-width space, which String.prototype.trim would drop too: they are refused.
 */
export function normalizeName(raw: string): string {
  return raw.normalize('NFC').replace(/\p{Zs}/gu, ' ').replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, '');
}

/** Why `name` (normalised) cannot be shown to people as it is, or undefined. */
export function invisibleCharactersProblem(name: string, what: string): string | undefined {
  return INVISIBLE_CHARACTERS.test(name)
    ? `${what} must not contain invisible or control characters (line breaks, tabs, zero-width spaces, text-direction marks and the like)`
    : undefined;
}
