// A cookie-keeping HTTP client that follows redirects and submits forms the way a browser without JavaScript would,
// stopping at the client's redirect URI (which is not served here).
import { CookieJar } from 'tough-cookie';

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  html: string;
}

export interface Form {
  action: string;
  fields: Record<string, string>;
}

export class FormBrowser {
  readonly jar = new CookieJar();

  /** `headers`: sent with every request, e.g. the X-Forwarded-For of a proxy in front. */
  constructor(private readonly stopAt: string[], private readonly headers: Record<string, string> = {}) {}

  /** Requests `url` and follows redirects; returns the page reached, or the redirect URI's URL without fetching it. */
  async open(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Page> {
    let target = url;
    let method = init.method ?? 'GET';
    let body: URLSearchParams | undefined = init.form ? new URLSearchParams(init.form) : undefined;
    for (let hops = 0; hops < 20; hops += 1) {
      if (this.stopAt.some((prefix) => target.startsWith(prefix))) {
        return { url: target, status: 0, headers: new Headers(), html: '' };
      }
      const headers: Record<string, string> = { ...this.headers, cookie: await this.jar.getCookieString(target) };
      if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await fetch(target, { method, headers, body, redirect: 'manual' });
      for (const cookie of response.headers.getSetCookie()) await this.jar.setCookie(cookie, target);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        target = new URL(location, target).href;
        method = 'GET';
        body = undefined;
        continue;
      }
      return { url: target, status: response.status, headers: response.headers, html: await response.text() };
    }
    throw new Error('too many redirects');
  }

  /** Submits the form whose action matches `actionPattern`, with its hidden fields plus `fields`. */
  submit(page: Page, actionPattern: RegExp, fields: Record<string, string> = {}): Promise<Page> {
    const form = findForm(page, actionPattern);
    return this.open(form.action, { method: 'POST', form: { ...form.fields, ...fields } });
  }
}

const decode = (value: string) => value.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&');

export function findForm(page: Page, actionPattern: RegExp): Form {
  for (const match of page.html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const action = /action="([^"]*)"/.exec(match[1] ?? '')?.[1];
    if (!action || !actionPattern.test(decode(action))) continue;
    const fields: Record<string, string> = {};
    for (const input of (match[2] ?? '').matchAll(/<input\b[^>]*type="hidden"[^>]*>/g)) {
      const name = /name="([^"]*)"/.exec(input[0])?.[1];
      const value = /value="([^"]*)"/.exec(input[0])?.[1];
      if (name) fields[name] = decode(value ?? '');
    }
    return { action: new URL(decode(action), page.url).href, fields };
  }
  throw new Error(`no form with an action like ${actionPattern} on ${page.url}:\n${page.html}`);
}
