// How dates read in the console: the person's locale, to the minute; "Never" for a missing time.
const formatter = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatTime(iso: string | null | undefined, missing = 'Never'): string {
  return iso ? formatter.format(new Date(iso)) : missing;
}
