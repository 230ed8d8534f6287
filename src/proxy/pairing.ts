/**
 * Pairing another device with the proxy's LAN side: one code at a time, kept in a file only this
 * user reads (`lan-pairing`, 0600) for `just dev proxy` to print as a link and a QR code. Opening
 * the link gives the device a token of its own in a cookie (Secure, HttpOnly) and uses the code up;
 * a new one takes its place. Paired devices are remembered by the running proxy alone: a restart
 * unpairs them all.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic.js';
import { cookie, same } from './guard.js';

export const DEVICE_COOKIE = 'dev_instances_device';

export class Pairing {
  private code = '';
  private readonly devices = new Set<string>();

  private constructor(private readonly file: string) {}

  static async open(file: string): Promise<Pairing> {
    const p = new Pairing(file);
    await p.rotate();
    return p;
  }

  /** A new code, written for the CLI; the old one no longer works. */
  async rotate(): Promise<void> {
    this.code = randomBytes(16).toString('hex');
    await writeFileAtomic(this.file, `${this.code}\n`, 0o600);
  }

  /** The device token for a valid code (the code is used up), or undefined. */
  async redeem(code: string | null): Promise<string | undefined> {
    if (code === null || !same(code, this.code)) return undefined;
    const token = randomBytes(32).toString('hex');
    this.devices.add(token);
    await this.rotate();
    return token;
  }

  /** The code a device can pair with now. */
  get current(): string {
    return this.code;
  }

  /** Whether the request's cookie names a paired device. */
  paired(cookieHeader: string | string[] | undefined): boolean {
    const token = cookie(cookieHeader, DEVICE_COOKIE);
    return token !== undefined && [...this.devices].some((d) => same(d, token));
  }

  close(): void {
    rmSync(this.file, { force: true });
  }
}
