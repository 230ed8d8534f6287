/**
 * The instance's own topic prefix on the declared Kafka-protocol broker (infra.redpanda: Redpanda or
 * Kafka): apps name their topics under it and identify as its client id; the topics the declaration
 * lists are created on start, and clean deletes every topic under the prefix.
 */
import { clientAddress } from '../plan/addresses.js';
import { composeProjectName } from '../plan/names.js';
import type { KafkaServer } from '../provision/kafka.js';
import type { SliceKind } from './types.js';

export interface KafkaSlice {
  /** Where apps reach the broker: localhost:9192 */
  brokers: string;
  /** 'shipsec-dev-1.': the dot keeps instance 1's prefix from matching instance 10's topics. */
  prefix: string;
  clientId: string;
  /** The declared topics, under the prefix. */
  topics: string[];
}

const serverOf = (k: KafkaSlice): KafkaServer => {
  const [host = '', port = ''] = k.brokers.split(/:(?=\d+$)/);
  return { broker: `${clientAddress(host)}:${port}`, clientId: k.clientId };
};
const admin = () => import('../provision/kafka.js');

export const kafka: SliceKind<'kafka', KafkaSlice> = {
  key: 'kafka',
  infra: 'redpanda',
  title: 'Kafka topics',
  noun: 'topic prefix',
  gone: 'Kafka topics',
  service: (decl) => decl.infra?.redpanda?.service ?? '',
  plan({ decl, instance, port, host }) {
    const r = decl.infra?.redpanda;
    if (!r) return undefined;
    const clientId = composeProjectName(decl.project, instance);
    const prefix = `${clientId}.`;
    return { brokers: `${host(r.service)}:${port(r.service)}`, prefix, clientId, topics: (r.topics ?? []).map((t) => `${prefix}${t}`) };
  },
  show: (k) => `'${k.prefix}' at ${k.brokers}${k.topics.length ? ` (${k.topics.join(', ')})` : ''}`,
  name: (k) => k.prefix,
  server: (k) => k.brokers,
  json: (k) => ({ kafkaTopicPrefix: k.prefix }),
  intent: (k, verb) => (verb === 'create'
    ? (k.topics.length ? `create Kafka topics ${k.topics.join(', ')} on ${k.brokers} (if missing)` : `Kafka topics under '${k.prefix}' on ${k.brokers}`)
    : `delete Kafka topics under '${k.prefix}' on ${k.brokers}`),
  ensure: async (k) => {
    if (k.topics.length === 0) return 'nothing';
    return (await (await admin()).ensureTopics(serverOf(k), k.topics)) > 0 ? 'created' : 'exists';
  },
  drop: async (k) => {
    const gone = await (await admin()).dropTopics(serverOf(k), k.prefix);
    return gone.length ? `${gone.length} Kafka topic(s) under '${k.prefix}'` : undefined;
  },
};
