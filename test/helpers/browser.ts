/** Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, as the machine allows it. */
import { type Browser, chromium } from 'playwright-core';

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
