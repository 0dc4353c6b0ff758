// A real app and one headless Debian Chromium per test file, for the browser apps (console, GraphiQL): pages that sign
// a user in through the console's own flow, with every request to another origin blocked and every browser error kept.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  chromium, type Browser, type BrowserContext, type Locator, type Page,
} from 'playwright-core';
import { useTestApp, type TestApp } from './app.js';
import type { TestUser } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
export const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable && process.env.REQUIRE_BROWSER) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);

/** A browser test walks many pages: allowed more than jest's 30 s when the machine is busy (CI runs three suites). */
const BROWSER_TEST_TIMEOUT_MS = 90_000;

/** `it`, or `it.skip` where Chromium is not installed (CI sets REQUIRE_BROWSER, which makes that a failure). */
export function browserIt(name: string, test: () => Promise<void>): void {
  (browserAvailable ? it : it.skip)(name, test, BROWSER_TEST_TIMEOUT_MS);
}

export interface BrowserApp {
  app: TestApp;
  browser: Browser;
}

/** The file's app and browser, started before its tests and stopped after them. */
export function useBrowserApp(env: Record<string, string> = {}): BrowserApp {
  const t = useTestApp(env);
  const holder = {} as BrowserApp;
  Object.defineProperty(holder, 'app', { get: () => t.current });
  beforeAll(async () => {
    if (!browserAvailable) return;
    holder.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await holder.browser?.close();
  });
  return holder;
}

export interface BrowserPage {
  context: BrowserContext;
  page: Page;
  /** Console errors (CSP violations among them) and uncaught exceptions, as the browser reported them. */
  errors: string[];
  /** Requests to another origin, which were refused. */
  blocked: string[];
}

/** A fresh browser profile (no cookies, no storage) on the app; only the app's own origin is reachable. */
export async function newPage(b: BrowserApp, options: { viewport?: { width: number; height: number } } = {}): Promise<BrowserPage> {
  const origin = new URL(b.app.url).origin;
  const context = await b.browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  // Well within the test's timeout, so a control that never appears fails with its name rather than the timeout.
  context.setDefaultTimeout(15_000);
  const blocked: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) await route.continue();
    else {
      blocked.push(url);
      await route.abort('blockedbyclient');
    }
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || /Content Security Policy|Refused to/i.test(message.text())) errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`${error.name}: ${error.message}`));
  return {
    context, page, errors, blocked,
  };
}

/** Types the user's credentials into the provider's sign-in page, which the browser is on, and signs in. */
export async function enterCredentials(page: Page, user: Pick<TestUser, 'username' | 'password'>): Promise<void> {
  await page.getByLabel('Username or email').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Opens the console at `path` (e.g. /console/auth-clients) and signs `user` in as a person would: the silent attempt
 * finds no session, "Sign in", the provider's form, and back (the Admin Console skips consent). Resolves once the
 * console shows the user as signed in.
 */
export async function signInToConsole(b: BrowserApp, page: Page, user: Pick<TestUser, 'username' | 'password'>, path = '/console'): Promise<void> {
  await page.goto(`${b.app.url}${path}`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await enterCredentials(page, user);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/**
 * The serious and critical accessibility violations axe-core finds on the page as it is now (in an open dialog, say),
 * as "rule: target" lines. axe runs through the DevTools protocol, so the page's CSP stays as it is.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  axeSource ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(await axeSource);
  return page.evaluate(async () => {
    const { violations } = await (globalThis as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe.run();
    return violations.filter(({ impact }) => impact === 'serious' || impact === 'critical')
      .map(({ id, nodes }) => `${id}: ${nodes.map(({ target }) => target.join(' ')).join(', ')}`);
  });
}
let axeSource: Promise<string> | undefined;

/** The folder screenshots go to (test-output/, ignored by git): look at them after a run. */
export const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Presses Tab (as a keyboard-only person would) until `target` has the focus; fails after `limit` presses. */
export async function tabTo(page: Page, target: Locator, limit = 40): Promise<void> {
  for (let presses = 0; presses < limit; presses += 1) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((element) => element === element.ownerDocument.activeElement)) return;
  }
  throw new Error(`Tab did not reach ${String(target)} in ${limit} presses`);
}
