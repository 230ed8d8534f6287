/**
 * Validate a stack declaration as data: a pure function returning problems that name the key.
 * The declaration is user input; it is checked as `unknown` so a JavaScript user gets the same care.
 */
import { isIpAddress } from '../plan/addresses.js';
import { COMPOSE_PROJECT_RE, DOCKER_HOST_RE, MAX_IDENTIFIER_BYTES, databaseName, isSnapshotName } from '../plan/names.js';
import { MAX_PORT, instanceRange } from '../plan/range.js';
import { commandWords } from './types.js';

export interface Problem {
  key: string;
  message: string;
}

const PROJECT_RE = /^[a-z][a-z0-9-]*$/;
const PORT_KEY_RE = /^[A-Z][A-Z0-9_]*$/;
const APP_RE = /^[a-z][a-z0-9-]*$/;
const SERVICE_RE = /^[a-z][a-z0-9-]*$/;
const COMPOSE_SERVICE_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const MIN_BASE_PORT = 1024;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v));

type Bad = (key: string, message: string) => void;

export function validateDeclaration(decl: unknown): Problem[] {
  const problems: Problem[] = [];
  const bad: Bad = (key, message) => problems.push({ key, message });
  if (!isObject(decl)) return [{ key: '(root)', message: 'the default export must be an object (use defineStack)' }];
  checkTop(decl, bad);
  const found = checkServices(decl.services, bad);
  // The native engine's processes are named <project>-<kind or service>-N, as apps are: an app may not take such a name.
  const services = isObject(decl.services) ? decl.services : {};
  const processNames = new Set([...Object.keys(INFRA_KINDS), ...Object.keys(services).filter((id) => isObject(services[id]) && services[id].native !== undefined)]);
  checkApps(decl.apps, found.serviceIds, processNames, bad);
  checkInfra(decl, found.serviceIds, bad);
  checkComposeOverrides(decl.composeOverrides, found.composeServices, bad);
  checkComposeFiles(decl.composeFiles, bad);
  checkImages(decl.images, found.composeServices, bad);
  checkProxy(decl.proxy, decl.apps, bad);
  if (decl.seed !== undefined && (typeof decl.seed !== 'string' || !isSnapshotName(decl.seed))) {
    bad('seed', `${show(decl.seed)} must be a snapshot name: letters, digits, '.', '_' and '-', not digits alone`);
  }
  if (decl.host !== undefined && (typeof decl.host !== 'string' || !DOCKER_HOST_RE.test(decl.host))) {
    bad('host', `${show(decl.host)} must be a Docker context name, tcp://HOST:PORT, ssh://[USER@]HOST or 'local'`);
  }
  // Only meaningful once each piece is valid on its own.
  if (problems.length === 0) checkRange(decl, found.portSpecs, bad);
  return problems;
}

function checkTop(decl: Record<string, unknown>, bad: Bad): void {
  const { project, portStride, bindAddress, env } = decl;
  if (typeof project !== 'string' || !PROJECT_RE.test(project)) {
    bad('project', `${show(project)} must be lower-case letters, digits and '-', starting with a letter`);
  }
  if (!isInt(portStride) || portStride < 1) bad('portStride', `${show(portStride)} must be a positive integer`);
  if (typeof bindAddress !== 'string' || !isIpAddress(bindAddress)) bad('bindAddress', `${show(bindAddress)} must be an IP address such as 127.0.0.1 or ::1`);
  if (typeof env !== 'function') bad('env', 'must be a function (ctx) => ({ KEY: value })');

}

interface Found {
  serviceIds: Set<string>;
  composeServices: Set<string>;
  portSpecs: { id: string; basePort: number }[];
}

function checkServices(services: unknown, bad: Bad): Found {
  const serviceIds = new Set<string>();
  const composeServices = new Set<string>();
  const portSpecs: { id: string; basePort: number }[] = [];
  if (!isObject(services) || Object.keys(services).length === 0) {
    bad('services', 'must name at least one service');
  } else {
    const keys = new Map<string, string>();
    const bases = new Map<number, string>();
    for (const [id, svc] of Object.entries(services)) {
      const at = `services.${id}`;
      serviceIds.add(id);
      if (!SERVICE_RE.test(id)) bad(at, `service name '${id}' must be lower-case letters, digits and '-'`);
      if (!isObject(svc)) { bad(at, 'must be an object'); continue; }
      if (typeof svc.label !== 'string' || svc.label === '') bad(`${at}.label`, 'must be a non-empty string');
      if (typeof svc.portKey !== 'string' || !PORT_KEY_RE.test(svc.portKey)) {
        bad(`${at}.portKey`, `${show(svc.portKey)} must be upper-case letters, digits and '_'`);
      } else if (keys.has(svc.portKey)) {
        bad(`${at}.portKey`, `'${svc.portKey}' is already used by services.${keys.get(svc.portKey)}`);
      } else keys.set(svc.portKey, id);
      const base = svc.basePort;
      if (!isInt(base)) bad(`${at}.basePort`, `${show(base)} must be an integer port`);
      else if (base < MIN_BASE_PORT) bad(`${at}.basePort`, `${base} is below ${MIN_BASE_PORT} (privileged ports need root)`);
      else if (base > MAX_PORT) bad(`${at}.basePort`, `${base} is above ${MAX_PORT}`);
      else if (bases.has(base)) bad(`${at}.basePort`, `${base} is already the base port of services.${bases.get(base)}`);
      else { bases.set(base, id); portSpecs.push({ id, basePort: base }); }
      const r = svc.ready;
      const okReady = isObject(r) && Object.keys(r).length === 1 && ((typeof r.http === 'string' && r.http.startsWith('/'))
        || (Array.isArray(r.command) && r.command.length > 0 && r.command.every((w) => typeof w === 'string' && w !== '')));
      if (r !== undefined && !okReady) {
        bad(`${at}.ready`, `${show(r)} must be { http: '/path' } (answers 2xx or 3xx when ready) or { command: ['pg_isready', '-p', '{port}'] } (exits 0 when ready)`);
      }
      if (svc.native !== undefined) {
        const cmd = isObject(svc.native) ? svc.native.command : undefined;
        if (!Array.isArray(cmd) || cmd.length === 0 || cmd.some((w) => typeof w !== 'string' || w === '')) {
          bad(`${at}.native.command`, "must be a command line as a list, e.g. ['python3', '-m', 'http.server', '{port}']");
        }
      }
      if (svc.container !== undefined) {
        const c = svc.container;
        if (!isObject(c) || typeof c.service !== 'string' || !COMPOSE_SERVICE_RE.test(c.service)) {
          bad(`${at}.container.service`, 'must name a compose service (letters, digits, _ . -)');
        } else composeServices.add(c.service);
        if (!isObject(c) || !isInt(c.port) || c.port < 1 || c.port > MAX_PORT) {
          bad(`${at}.container.port`, `must be an integer from 1 to ${MAX_PORT}`);
        }
      }
    }
  }

  return { serviceIds, composeServices, portSpecs };
}

function checkApps(apps: unknown, serviceIds: ReadonlySet<string>, processNames: ReadonlySet<string>, bad: Bad): void {
  if (!isObject(apps)) {
    bad('apps', 'must be an object: app id -> app (empty when the instances are infrastructure only)');
  } else {
    for (const [id, app] of Object.entries(apps)) {
      const at = `apps.${id}`;
      if (!APP_RE.test(id)) bad(at, `app name '${id}' must be lower-case letters, digits and '-'`);
      else if (processNames.has(id)) bad(at, `app name '${id}' is the name of a server's process under PM2 (${[...processNames].join(', ')} are taken): rename the app`);
      if (!isObject(app)) { bad(at, 'must be an object'); continue; }
      if (typeof app.cwd !== 'string' || app.cwd === '') bad(`${at}.cwd`, 'must be a non-empty path');
      checkProgram(app, at, bad);
      if (app.port !== undefined && !(typeof app.port === 'string' && serviceIds.has(app.port))) {
        bad(`${at}.port`, `${show(app.port)} is not a service in services`);
      }
      if (!Array.isArray(app.envSources) || app.envSources.some((s) => typeof s !== 'string' || s === '' || s.startsWith('/'))) {
        bad(`${at}.envSources`, 'must be a list of env file paths relative to the repository root');
      }
      if (app.env !== undefined && typeof app.env !== 'function') bad(`${at}.env`, 'must be a function when given');
      if (app.needsInfrastructure !== undefined && typeof app.needsInfrastructure !== 'boolean') {
        bad(`${at}.needsInfrastructure`, `${show(app.needsInfrastructure)} must be true or false`);
      }
    }
  }

}

/** The infrastructure kinds a declaration may name, and the keys (other than service) that name a second port. */
const INFRA_KINDS: Record<string, readonly string[]> = { postgres: [], redis: [], temporal: ['ui'], minio: ['console'], loki: [], redpanda: [] };

/** An app runs a Node script or a command: exactly one, each well formed. */
function checkProgram(app: Record<string, unknown>, at: string, bad: Bad): void {
  const { script, command, args } = app;
  if (script === undefined && command === undefined) { bad(at, "needs a command (['python3', 'app.py'] or 'bun run dev') or a Node script"); return; }
  if (script !== undefined && command !== undefined) { bad(at, 'has both script and command: give one'); return; }
  if (script !== undefined && (typeof script !== 'string' || script === '')) bad(`${at}.script`, `${show(script)} must be a non-empty path`);
  const words: unknown = typeof command === 'string' || Array.isArray(command) ? commandWords(command) : command;
  if (command !== undefined && (!Array.isArray(words) || words.length === 0 || words.some((w) => typeof w !== 'string' || w === ''))) {
    bad(`${at}.command`, `${show(command)} must be a command line: a non-empty string, or a list of non-empty strings`);
  }
  if (args !== undefined && (!Array.isArray(args) || args.some((a) => typeof a !== 'string'))) bad(`${at}.args`, 'must be a list of strings');
  if (command !== undefined && app.ready === 'signal') bad(`${at}.ready`, "'signal' is for Node scripts (process.send('ready')); a command is up when its port answers, or after 1 s without one");
}

function checkInfra(decl: Record<string, unknown>, serviceIds: ReadonlySet<string>, bad: Bad): void {
  const infra = decl.infra ?? {};
  if (decl.engine !== undefined && !['auto', 'docker', 'native'].includes(String(decl.engine))) {
    bad('engine', `${show(decl.engine)} must be 'auto', 'docker' or 'native'`);
  }
  if (!isObject(infra)) { bad('infra', `must be an object naming the services of ${Object.keys(INFRA_KINDS).join(', ')} (each optional)`); return; }
  for (const [kind, entry] of Object.entries(infra)) {
    const seconds = INFRA_KINDS[kind];
    if (!seconds) { bad(`infra.${kind}`, `'${kind}' is not a kind this tool knows: ${Object.keys(INFRA_KINDS).join(', ')}`); continue; }
    if (entry === undefined) continue;
    if (!isObject(entry) || typeof entry.service !== 'string' || !serviceIds.has(entry.service)) {
      bad(`infra.${kind}.service`, `${show(isObject(entry) ? entry.service : entry)} is not a service in services`);
      continue;
    }
    for (const k of seconds) {
      const v = entry[k];
      if (v !== undefined && !(typeof v === 'string' && serviceIds.has(v))) bad(`infra.${kind}.${k}`, `${show(v)} is not a service in services`);
    }
  }
  const pg = infra.postgres;
  if (isObject(pg) && (typeof pg.user !== 'string' || pg.user === '')) bad('infra.postgres.user', 'must be a non-empty string');
  if (isObject(pg) && typeof pg.password !== 'string') bad('infra.postgres.password', 'must be a string');
  const m = infra.minio;
  for (const k of ['accessKey', 'secretKey'] as const) {
    if (isObject(m) && m[k] !== undefined && (typeof m[k] !== 'string' || m[k] === '')) bad(`infra.minio.${k}`, `${show(m[k])} must be a non-empty string`);
  }
  const rp = infra.redpanda;
  if (isObject(rp) && rp.topics !== undefined) {
    if (!Array.isArray(rp.topics)) bad('infra.redpanda.topics', `${show(rp.topics)} must be a list of topic names`);
    else rp.topics.forEach((t: unknown, i) => {
      // Kafka's rule, with room for the longest instance prefix ('<project>-dev-NNN.').
      if (typeof t !== 'string' || !/^[a-zA-Z0-9._-]{1,200}$/.test(t)) bad(`infra.redpanda.topics[${i}]`, `${show(t)} must be a topic name: 1-200 letters, digits, '.', '_' and '-'`);
    });
  }
  const t = infra.temporal;
  if (isObject(t) && (typeof t.retention !== 'string' || !/^\d+(h|d)$/.test(t.retention))) {
    bad('infra.temporal.retention', `${show(isObject(t) ? t.retention : undefined)} must be hours or days, like '72h' or '3d'`);
  }
}

function checkImages(images: unknown, composeServices: ReadonlySet<string>, bad: Bad): void {
  if (images === undefined) return;
  if (!isObject(images)) { bad('images', 'must be an object: compose service -> image'); return; }
  for (const [svc, image] of Object.entries(images)) {
    if (!composeServices.has(svc)) bad(`images.${svc}`, `'${svc}' is not a container service of any port`);
    if (typeof image !== 'string' || image.trim() === '' || /\s/.test(image)) bad(`images.${svc}`, `${show(image)} must be an image reference such as postgres:16`);
  }
}

function checkProxy(proxy: unknown, apps: unknown, bad: Bad): void {
  if (proxy === undefined) return;
  if (!isObject(proxy)) { bad('proxy', 'must be an object: { enabled?, home? }'); return; }
  if (proxy.enabled !== undefined && typeof proxy.enabled !== 'boolean') bad('proxy.enabled', `${show(proxy.enabled)} must be true or false`);
  if (proxy.home !== undefined) {
    const app = isObject(apps) ? apps[String(proxy.home)] : undefined;
    if (!isObject(app) || app.port === undefined) bad('proxy.home', `${show(proxy.home)} must name an app with a port`);
  }
}

function checkComposeOverrides(composeOverrides: unknown, composeServices: ReadonlySet<string>, bad: Bad): void {
  if (composeOverrides !== undefined) {
    if (!isObject(composeOverrides)) bad('composeOverrides', 'must be an object of functions');
    else for (const [svc, fn] of Object.entries(composeOverrides)) {
      if (!composeServices.has(svc)) bad(`composeOverrides.${svc}`, `'${svc}' is not a container service of any port`);
      if (typeof fn !== 'function') bad(`composeOverrides.${svc}`, 'must be a function (ports) => ({ ... })');
    }
  }

}

function checkComposeFiles(files: unknown, bad: Bad): void {
  if (files === undefined) return;
  const list = typeof files === 'string' ? [files] : files;
  if (!Array.isArray(list) || list.length === 0) { bad('composeFiles', `${show(files)} must be a file or a non-empty list of files, such as ['docker-compose.yml', 'docker-compose.dev.yml']`); return; }
  list.forEach((f: unknown, i) => {
    if (typeof f !== 'string' || f.trim() === '') bad(`composeFiles[${i}]`, `${show(f)} must be a path to a compose file, relative to the project`);
  });
}

function checkRange(decl: Record<string, unknown>, portSpecs: { id: string; basePort: number }[], bad: Bad): void {
  const { project, portStride } = decl;
  if (isInt(portStride) && typeof project === 'string') {
    const range = instanceRange(portSpecs, portStride);
    if (range.max < 0) bad('services', `no instance fits: ${range.reason}`);
    else {
      const longest = databaseName(project, range.max);
      if (Buffer.byteLength(longest) > MAX_IDENTIFIER_BYTES) {
        bad('project', `database name '${longest}' would be over ${MAX_IDENTIFIER_BYTES} bytes; use a shorter project name`);
      }
      if (!COMPOSE_PROJECT_RE.test(project)) bad('project', `'${project}' is not a valid compose project name`);
    }
  }
}
