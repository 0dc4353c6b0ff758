// Response headers for every page a person sees: uncacheable, unframeable, no script, forms only to known places.

/** Where a form may send the browser: here, and on through redirects to the client's redirect URI. */
export function formTargets(...uris: Array<string | undefined>): string[] {
  const targets = new Set(["'self'"]);
  for (const uri of uris) {
    if (!uri) continue;
    try {
      const url = new URL(uri);
      targets.add(url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol);
    } catch {
      // not a URL: nothing to allow
    }
  }
  return [...targets];
}

/** Headers for every interactive page: no caching, no framing, no script, no referrer leaks. */
export function pageHeaders(targets: string[] = ["'self'"]): Record<string, string> {
  return {
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    'Content-Security-Policy': `default-src 'none'; style-src 'self'; img-src 'self'; form-action ${targets.join(' ')}; frame-ancestors 'none'; base-uri 'none'`,
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  };
}
