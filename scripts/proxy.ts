/**
 * The local proxy process, run by PM2 as `dev-instances-proxy` (src/proxy/control.ts starts it):
 * listens on loopback at DEV_INSTANCES_PROXY_PORT, records itself in the state folder's proxy.json,
 * and keeps the dashboard's token there (0600, made once per machine).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { stateDir } from '../src/state-dir.js';
import { addressPort } from '../src/proxy/hosts.js';
import { serveProxy } from '../src/proxy/serve.js';
import {
  type ProxyRecord, configuredBind, configuredFront, configuredHttps, configuredLan, configuredPort, dashboardKey, httpsPort, lanSetting, proxyFile, runningProxy, tokenFile,
} from '../src/proxy/state.js';
import { machineCa, writeBundle } from '../src/tls/ca.js';

/** The machine's dashboard key: kept while its file stays private; a file anyone else could read gets a new key. */
function token(): string {
  const kept = dashboardKey();
  if (kept) return kept;
  const file = tokenFile();
  rmSync(file, { force: true }); // a new file, so its mode is 0600 whatever the old one's was
  const t = randomBytes(32).toString('hex');
  writeFileSync(file, `${t}\n`, { mode: 0o600, flag: 'wx' });
  return t;
}

mkdirSync(stateDir(), { recursive: true, mode: 0o700 });
const port = configuredPort();
const bind = configuredBind();
const https = configuredHttps();
// A LAN address that is gone (another network, a reboot) leaves this machine's named URLs serving.
const lan = (() => {
  try {
    return configuredLan();
  } catch (err) {
    console.error(`dev-instances proxy: ${(err as Error).message}; serving this machine only`);
    return undefined;
  }
})();
const running = await serveProxy({
  port, addresses: ['127.0.0.1', '::1', ...(bind ? [bind] : [])], env: process.env, token: token(), front: configuredFront(), ...(https ? { https } : {}),
  ...(lan ? { lan: { address: lan, port: httpsPort() } } : {}),
});
// The apps' SSL_CERT_FILE: the system's bundle as it is today, with the machine's CA.
if (https) await writeBundle(await machineCa());
const record: ProxyRecord = {
  port, pid: process.pid, addresses: running.addresses, front: running.front, ...(running.https ? { https: running.https } : {}),
  ...(running.lan ? { lan: { ...running.lan, setting: lanSetting() ?? running.lan.address } } : {}),
  script: process.argv[1] ?? '', startedAt: new Date().toISOString(),
};
writeFileSync(proxyFile(), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
const tls = `${running.https ? `, HTTPS on ${running.https.port}` : ''}${running.lan ? `, for other devices on ${addressPort(running.lan.address, running.lan.port)}` : ''}`;
console.log(`dev-instances proxy on ${running.addresses.map((a) => addressPort(a, port)).join(', ')}${tls} (${running.front === 'nginx' ? 'nginx in front' : 'Node alone'}); dashboard http://localhost:${port}/`);

const stop = () => {
  if (runningProxy()?.pid === process.pid) rmSync(proxyFile(), { force: true });
  void running.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
