/** The instance's own Temporal namespace and task queue on the declared frontend (infra.temporal). */
import { taskQueue, temporalNamespace } from '../plan/names.js';
import type { SliceKind } from './types.js';

export interface TemporalSlice {
  address: string;
  namespace: string;
  taskQueue: string;
  retention: string;
}

// The SDK (~0.3 s to load) only when the instance has a Temporal that runs.
const client = () => import('../provision/temporal.js');

export const temporal: SliceKind<'temporal', TemporalSlice> = {
  key: 'temporal',
  infra: 'temporal',
  title: 'Temporal',
  service: (decl) => decl.infra?.temporal?.service ?? '',
  plan({ decl, instance, port, host }) {
    const t = decl.infra?.temporal;
    if (!t) return undefined;
    return {
      address: `${host(t.service)}:${port(t.service)}`,
      namespace: temporalNamespace(decl.project, instance),
      taskQueue: taskQueue(decl.project, instance),
      retention: t.retention,
    };
  },
  show: (t) => `namespace ${t.namespace}, task queue ${t.taskQueue} at ${t.address}`,
  noun: 'namespace',
  gone: 'the Temporal namespace',
  name: (t) => t.namespace,
  server: (t) => t.address,
  json: (t) => ({ temporalNamespace: t.namespace, taskQueue: t.taskQueue }),
  intent: (t, verb) => (verb === 'create'
    ? `register Temporal namespace ${t.namespace} at ${t.address} (retention ${t.retention})`
    : `delete Temporal namespace ${t.namespace} at ${t.address}`),
  ensure: async (t) => ((await (await client()).ensureNamespace(t, t.retention)) ? 'created' : 'exists'),
  drop: async (t) => ((await (await client()).dropNamespace(t)) ? `namespace ${t.namespace}` : undefined),
};
