/** An instance's plan as people and --json read it: ports by key, URLs, where it runs. Pure. */
import type { InstancePlan, Placement } from './plan.js';

/** How messages name a placed host: its context name with its endpoint, or the endpoint it was given as. */
export const placementLabel = (p: Placement): string => (p.name === p.docker ? p.docker : `${p.name} (${p.docker})`);

/** " on build-box (ssh://…)", or '' for this machine: the end of a sentence. */
export const onHost = (p: Placement | undefined): string => (p ? ` on ${placementLabel(p)}` : '');

/** A placed host in a table column: its context name, else its address. */
export const shortHost = (p: Placement): string => (p.name === p.docker ? p.address : p.name);

/** KEY -> port of every port of the instance, in the declaration's order (ports, --json views). */
export const portsByKey = (p: InstancePlan): Record<string, number> => Object.fromEntries(p.ports.map((x) => [x.key, x.port]));

/** Label -> URL of every http service of the instance. */
export const httpUrls = (p: InstancePlan): Record<string, string> =>
  Object.fromEntries(p.ports.filter((x) => x.scheme === 'http').map((x) => [x.label, `http://${x.host}:${x.port}`]));

/** App -> named URL of every app with a port, and `home`, when the proxy is on (else empty). */
export const namedUrls = (p: InstancePlan): Record<string, string> => (p.proxy
  ? { home: p.proxy.home, ...Object.fromEntries(p.apps.flatMap((a) => (a.url?.named ? [[a.id, a.url.named]] : []))) }
  : {});

