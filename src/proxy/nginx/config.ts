/**
 * The nginx front's configuration, from the route table. Pure.
 *
 * nginx listens where the proxy's names point (loopback at the proxy's port) and carries every
 * named app's traffic itself: one server per app port, kept-alive upstream connections, nothing
 * buffered (streams and uploads pass as they come), WebSocket upgrades, the original Host and
 * X-Forwarded-*. Everything else goes to the Node proxy behind it on loopback: the dashboard, unknown
 * names, foreign Hosts (refused there), and a named app that refuses the connection (nginx's 502
 * becomes the Node proxy's "instance N is stopped" page).
 */
import { addressPort } from '../hosts.js';
import type { Route } from '../routes.js';

export interface NginxConfigInput {
  /** The proxy's public port and the addresses it listens on. */
  port: number;
  addresses: readonly string[];
  /** The Node proxy's port on 127.0.0.1. */
  back: number;
  /** nginx's own folder: pid file and temporary files. */
  dir: string;
  /** Whether nginx runs as root (then its workers stay the same user as the rest of the tool). */
  root: boolean;
  routes: ReadonlyMap<string, Route>;
  /** HTTPS on its port with the proxy's certificate files; HTTP requests to a named app are then sent there (308). */
  https?: { port: number; cert: string; key: string };
}

/** Quoted for nginx's configuration language: names and paths never carry a quote or a backslash. */
const quoted = (s: string): string => `"${s.replace(/["\\]/g, '')}"`;

export function nginxConfig(c: NginxConfigInput): string {
  const listenOn = (port: number, extra: string) => c.addresses.map((a) => `    listen ${addressPort(a, port)}${extra};`).join('\n');
  const listen = (extra = '') => listenOn(c.port, extra);
  const { https } = c;
  const listenTls = (extra = '') => (https ? `\n${listenOn(https.port, ` ssl${extra}`)}` : '');
  const tls = https ? `
  ssl_certificate ${quoted(https.cert)};
  ssl_certificate_key ${quoted(https.key)};
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_session_cache shared:dev_instances_tls:1m;
` : '';
  const toHttps = https ? `https://$host${https.port === 443 ? '' : `:${https.port}`}$request_uri` : '';
  const byPort = new Map<number, string[]>();
  for (const r of [...c.routes.values()].sort((a, b) => a.host.localeCompare(b.host))) {
    byPort.set(r.port, [...(byPort.get(r.port) ?? []), r.host]);
  }
  const ports = [...byPort.keys()].sort((a, b) => a - b);
  const toBack = [
    '      proxy_pass http://dev_instances_back;',
    '      proxy_set_header Host $http_host;',
    '      proxy_set_header Upgrade $http_upgrade;',
    '      proxy_set_header Connection $connection_upgrade;',
    // The dashboard's redirects keep the scheme the browser came with.
    '      proxy_set_header X-Forwarded-Proto $scheme;',
  ].join('\n');
  return `# Written by dev-instances' local proxy from the lease registry; rewritten on every change.
daemon off;
master_process on;
worker_processes 1;
pid ${quoted(`${c.dir}/nginx.pid`)};
error_log stderr warn;
${c.root ? 'user root;\n' : ''}
events { worker_connections 4096; }

http {
  access_log off;
  keepalive_requests 100000;
  server_tokens off;
  client_body_temp_path ${quoted(`${c.dir}/body`)};
  proxy_temp_path ${quoted(`${c.dir}/proxy`)};
  fastcgi_temp_path ${quoted(`${c.dir}/fastcgi`)};
  uwsgi_temp_path ${quoted(`${c.dir}/uwsgi`)};
  scgi_temp_path ${quoted(`${c.dir}/scgi`)};
  server_names_hash_bucket_size 128;

  # Dev servers: uploads of any size, streamed both ways; idle HMR sockets are not timed out.
  client_max_body_size 0;
  proxy_http_version 1.1;
  proxy_buffering off;
  proxy_request_buffering off;
  proxy_read_timeout 1d;
  proxy_send_timeout 1d;

  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }

  proxy_set_header Host $http_host;
  proxy_set_header Upgrade $http_upgrade;
  proxy_set_header Connection $connection_upgrade;
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  proxy_set_header X-Forwarded-Host $http_host;
  proxy_set_header X-Forwarded-Proto $scheme;

${tls}
  upstream dev_instances_back { server 127.0.0.1:${c.back}; keepalive 8; }
${ports.map((p) => `  upstream app_${p} { server 127.0.0.1:${p}; keepalive 16; keepalive_timeout 4s; }`).join('\n')}

  # Every name without a route of its own: the dashboard, unknown names, foreign Hosts.
  server {
${listen(' default_server')}${listenTls(' default_server')}
    location / {
${toBack}
    }
  }
${ports.map((p) => `${https ? `
  server {
${listen()}
    server_name ${(byPort.get(p) ?? []).join(' ')};
    return 308 ${toHttps};
  }` : ''}
  server {
${https ? listenOn(https.port, ' ssl') : listen()}
    server_name ${(byPort.get(p) ?? []).join(' ')};
    location / { proxy_pass http://app_${p}; }
    # The app refuses the connection (stopped): the Node proxy answers with the page saying so.
    error_page 502 504 = @stopped;
    location @stopped {
${toBack}
    }
  }`).join('\n')}
}
`;
}
