/**
 * Pairing another device with the proxy's LAN side. One code at a time, whose one home is a file
 * only this user reads (`lan-pairing`, 0600): the proxy checks a link against it, and `just dev
 * proxy` prints it as a link and a QR code. Opening the link gives the device a token of its own in
 * a cookie (Secure, HttpOnly, for DEVICE_DAYS) and uses the code up: a new one takes its place.
 * Paired devices are remembered in `lan-devices` (0600; each token's SHA-256, never the token), so
 * a proxy restart keeps them, for DEVICE_DAYS from their pairing. `just dev proxy unpair` empties
 * that list and makes a new code; the running proxy sees both at the next request. Changes to the
 * two files take the pairing lock, so a pairing and an unpair never undo each other.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic.js';
import { acquireLock } from '../fs/lock.js';
import { exposure } from '../fs/private.js';
import { cookie, same } from './guard.js';

export const DEVICE_COOKIE = 'dev_instances_device';
/** How long a paired device stays paired. */
export const DEVICE_DAYS = 30;
const DEVICE_MS = DEVICE_DAYS * 86_400_000;
const CODE = /^[0-9a-f]{32}$/;

/** The pairing's files: the current code, the paired devices, and the lock that orders changes to them. */
export interface PairingFiles { code: string; devices: string; lock: string }

interface Device { sha256: string; paired: string }

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

/** A file's identity and whether others could have written it; undefined when there is none. */
function look(file: string): { key: string; exposed?: string } | undefined {
  try {
    const st = statSync(file);
    const exposed = exposure(st);
    return { key: `${st.mtimeMs}:${st.size}:${st.ino}:${st.mode}:${st.uid}`, ...(exposed ? { exposed } : {}) };
  } catch {
    return undefined;
  }
}

/** The devices paired less than DEVICE_DAYS ago; none when there is no list, or when others could have written it (a device of theirs could be in it). */
export function pairedDevices(file: string, now = Date.now()): Device[] {
  if (look(file)?.exposed !== undefined) return [];
  let list: unknown;
  try { list = (JSON.parse(readFileSync(file, 'utf8')) as { devices?: unknown }).devices; } catch { return []; }
  if (!Array.isArray(list)) return [];
  return list.filter((d): d is Device => typeof d?.sha256 === 'string' && typeof d?.paired === 'string'
    && now - Date.parse(d.paired) < DEVICE_MS);
}

/** The code a device can pair with now: the file's, when it is this user's alone and holds one. */
export function currentCode(file: string): string | undefined {
  const seen = look(file);
  if (!seen || seen.exposed) return undefined;
  try {
    const code = readFileSync(file, 'utf8').trim();
    return CODE.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

const newCode = (file: string): Promise<void> => writeFileAtomic(file, `${randomBytes(16).toString('hex')}\n`, 0o600);
const lockPairing = (files: PairingFiles) => acquireLock(files.lock, 'the LAN pairing', { waitMs: 10_000 });

/** Forget every paired device and make a new code (a link already shown stops working); how many were paired. */
export async function unpairAll(files: PairingFiles): Promise<number> {
  const lock = await lockPairing(files);
  try {
    const n = pairedDevices(files.devices).length;
    rmSync(files.devices, { force: true });
    if (look(files.code)) await newCode(files.code);
    return n;
  } finally {
    lock.release();
  }
}

export class Pairing {
  private devices: Device[] = [];
  /** The devices file as last read: read again when it changes. */
  private seen = '';

  private constructor(private readonly files: PairingFiles) {}

  static async open(files: PairingFiles): Promise<Pairing> {
    const p = new Pairing(files);
    const lock = await lockPairing(files);
    try { await newCode(files.code); } finally { lock.release(); }
    return p;
  }

  /** The device token for the current code (which is then used up, a new one in its place), or undefined. */
  async redeem(code: string | null): Promise<string | undefined> {
    if (code === null) return undefined;
    const lock = await lockPairing(this.files);
    try {
      const now = currentCode(this.files.code);
      if (now === undefined || !same(code, now)) return undefined;
      await newCode(this.files.code);
      const token = randomBytes(32).toString('hex');
      const devices = [...pairedDevices(this.files.devices), { sha256: digest(token), paired: new Date().toISOString() }];
      await writeFileAtomic(this.files.devices, `${JSON.stringify({ devices }, null, 2)}\n`, 0o600);
      return token;
    } finally {
      lock.release();
    }
  }

  /** The code a device can pair with now. */
  get current(): string | undefined {
    return currentCode(this.files.code);
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
    const seen = look(this.files.devices);
    if ((seen?.key ?? '') === this.seen) return;
    this.seen = seen?.key ?? '';
    if (seen?.exposed) console.error(`dev-instances proxy: ignoring ${this.files.devices} (${seen.exposed}); pair the devices again`);
    this.devices = pairedDevices(this.files.devices);
  }

  close(): void {
    rmSync(this.files.code, { force: true });
  }
}
