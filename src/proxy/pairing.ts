/**
 * Pairing another device with the proxy's LAN side: one code at a time, kept in a file only this
 * user reads (`lan-pairing`, 0600) for `just dev proxy` to print as a link and a QR code. Opening
 * the link gives the device a token of its own in a cookie (Secure, HttpOnly, for DEVICE_DAYS) and
 * uses the code up; a new one takes its place. Paired devices are remembered in `lan-devices`
 * (0600; each token's SHA-256, never the token), so a proxy restart keeps them, for DEVICE_DAYS
 * from their pairing. `just dev proxy unpair` deletes that file: the running proxy sees it at the
 * device's next request.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic.js';
import { exposure } from '../fs/private.js';
import { cookie, same } from './guard.js';

export const DEVICE_COOKIE = 'dev_instances_device';
/** How long a paired device stays paired. */
export const DEVICE_DAYS = 30;
const DEVICE_MS = DEVICE_DAYS * 86_400_000;

interface Device { sha256: string; paired: string }

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

/** The devices paired less than DEVICE_DAYS ago, as the file has them (none when there is no file). */
export function pairedDevices(file: string, now = Date.now()): Device[] {
  let list: unknown;
  try { list = (JSON.parse(readFileSync(file, 'utf8')) as { devices?: unknown }).devices; } catch { return []; }
  if (!Array.isArray(list)) return [];
  return list.filter((d): d is Device => typeof d?.sha256 === 'string' && typeof d?.paired === 'string'
    && now - Date.parse(d.paired) < DEVICE_MS);
}

export class Pairing {
  private code = '';
  private devices: Device[] = [];
  /** The devices file as last read (modification time and size): read again when it changes. */
  private seen = '';

  private constructor(private readonly file: string, private readonly devicesFile: string) {}

  static async open(file: string, devicesFile: string): Promise<Pairing> {
    const p = new Pairing(file, devicesFile);
    p.reload();
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
    this.reload();
    this.devices = [...this.devices, { sha256: digest(token), paired: new Date().toISOString() }];
    await writeFileAtomic(this.devicesFile, `${JSON.stringify({ devices: this.devices }, null, 2)}\n`, 0o600);
    this.reload();
    await this.rotate();
    return token;
  }

  /** The code a device can pair with now. */
  get current(): string {
    return this.code;
  }

  /** Whether the request's cookie names a device paired less than DEVICE_DAYS ago and not unpaired since. */
  paired(cookieHeader: string | string[] | undefined): boolean {
    const token = cookie(cookieHeader, DEVICE_COOKIE);
    if (token === undefined) return false;
    this.reload();
    const hash = digest(token);
    const now = Date.now();
    return this.devices.some((d) => same(d.sha256, hash) && now - Date.parse(d.paired) < DEVICE_MS);
  }

  private reload(): void {
    let now = '';
    let exposed: string | undefined;
    try {
      const st = statSync(this.devicesFile);
      now = `${st.mtimeMs}:${st.size}:${st.ino}`;
      exposed = exposure(st);
    } catch { /* no file: no devices */ }
    if (now === this.seen) return;
    this.seen = now;
    // A list others could have written could hold a device of theirs: then no device is paired.
    if (exposed) console.error(`dev-instances proxy: ignoring ${this.devicesFile} (${exposed}); pair the devices again`);
    this.devices = now && !exposed ? pairedDevices(this.devicesFile) : [];
  }

  close(): void {
    rmSync(this.file, { force: true });
  }
}
