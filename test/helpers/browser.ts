/** Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, as the machine allows it. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * As root Chromium needs --no-sandbox; without the background-networking flags it keeps trying to
 * reach Google's hosts, which this machine's closed network refuses.
 */
export function launchBrowser(opts: { home?: string } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // HOME: whose NSS database (~/.pki/nssdb) it trusts certificates from.
    ...(opts.home ? { env: { ...process.env, HOME: opts.home } } : {}),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * The demo frontend's stylesheet changed on disk (under root) turns its h1 to colour on the open
 * page through Vite's HMR, without a reload: a marker set on the page before is still there.
 */
export async function restyledWithoutReload(page: Page, root: string, colour: string): Promise<void> {
  await page.evaluate(() => { (window as unknown as { marker: string }).marker = 'same page'; });
  const css = join(root, 'apps/frontend/src/style.css');
  writeFileSync(css, readFileSync(css, 'utf8').replace('h1 { color: #1d2330; }', `h1 { color: ${colour}; }`));
  await page.waitForFunction((c) => getComputedStyle(document.querySelector('h1') as Element).color === c, colour, { timeout: 15_000 });
  assert.equal(await page.evaluate(() => (window as unknown as { marker?: string }).marker), 'same page');
}
