/// <reference lib="dom" />
/**
 * Browser-test helpers: Debian's chromium driven by playwright-core, axe on every page,
 * and keyboard-only moves (Tab until focus reaches a field, then keys).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET } from '../../src/seed/demo.js';
import { nextTotp } from './totp.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or null when they can. */
export function browserMissing(): string | null {
  return fs.existsSync(CHROMIUM) ? null : `no browser at ${CHROMIUM} (apt-get install -y chromium, as .ci/run does)`;
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

const withoutJavaScript = new WeakSet<BrowserContext>();

export async function newContext(browser: Browser, options: { javaScript: boolean }): Promise<BrowserContext> {
  const context = await browser.newContext({ javaScriptEnabled: options.javaScript, viewport: { width: 1280, height: 900 } });
  if (!options.javaScript) withoutJavaScript.add(context);
  return context;
}

/**
 * Scans a page with axe (WCAG 2.2 A and AA rules) and expects no violations. axe is a
 * script, so a page of a JavaScript-off context is scanned as the same address opened,
 * with the same cookies, in a new context where scripts run.
 */
export async function expectAccessible(page: Page): Promise<void> {
  if (withoutJavaScript.has(page.context())) {
    const browser = page.context().browser()!;
    const twin = await browser.newContext({ storageState: await page.context().storageState(), viewport: { width: 1280, height: 900 } });
    try {
      const copy = await twin.newPage();
      await copy.goto(page.url());
      await expectAccessible(copy);
    } finally {
      await twin.close();
    }
    return;
  }
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  const violations = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(violations, `axe on ${new URL(page.url()).pathname}`).toEqual([]);
}

/** Presses Tab until the focused element matches `selector` (keyboard only: no clicks, no focus calls). */
export async function tabTo(page: Page, selector: string, limit = 150): Promise<void> {
  for (let i = 0; i < limit; i += 1) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

export async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  await tabTo(page, selector);
  await page.keyboard.type(text);
}

/** Tabs to a form's submit button and presses Enter, waiting for the page that follows. */
export async function submitWithKeyboard(page: Page, buttonSelector: string): Promise<void> {
  await tabTo(page, buttonSelector);
  await Promise.all([page.waitForLoadState('load'), page.waitForNavigation(), page.keyboard.press('Enter')]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  if (!process.env.SPOC_SCREENSHOTS) return;
  const dir = path.resolve('docs/screenshots');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: false });
}

/** Signs a demo user in through the sign-in page (the page is left on the start page). */
export async function signInAs(page: Page, base: string, email: string): Promise<void> {
  await page.goto(`${base}/sign-in`);
  await page.fill('#email', email);
  await page.fill('#password', DEMO_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/sign-in"] button')]);
  // The second factor: the demo users' authenticator code (one spoc has not taken yet).
  if (new URL(page.url()).pathname === '/sign-in/code') {
    await page.fill('#code', await nextTotp(base, email, DEMO_TOTP_SECRET));
    await Promise.all([page.waitForNavigation(), page.click('form[action="/sign-in/code"] button')]);
  }
}

/** Presses a button in the page's main content and waits for the page that follows (a form post and its 303). */
export async function press(page: Page, text: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(`main button:has-text("${text}")`)]);
}

/** Follows a link in the page's main content by its text. */
export async function follow(page: Page, text: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(`main a:has-text("${text}")`)]);
}
