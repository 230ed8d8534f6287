/**
 * The Kafka admin calls a topic slice needs (kafkajs): list the topics, create the declared ones that
 * are missing, delete every topic under an instance's prefix. Redpanda and Kafka answer these alike.
 * A broker that does not answer fails in seconds, as an OperationalError naming it.
 */
import type { Admin } from 'kafkajs';
import { OperationalError } from '../errors.js';

export interface KafkaServer {
  /** host:port, as the tool reaches it */
  broker: string;
  clientId: string;
}

const CONNECT_MS = 5_000;

async function withAdmin<T>(s: KafkaServer, what: string, act: (admin: Admin) => Promise<T>): Promise<T> {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({
    clientId: s.clientId, brokers: [s.broker], logLevel: logLevel.NOTHING,
    connectionTimeout: CONNECT_MS, requestTimeout: 10_000, retry: { retries: 2, initialRetryTime: 200 },
  }).admin();
  try {
    await admin.connect();
    return await act(admin);
  } catch (err) {
    throw new OperationalError(`Kafka broker ${s.broker} did not ${what}: ${(err as Error).message}`, 'Is the instance\'s broker running? just dev N status');
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Create those of `topics` that do not exist; how many were created. */
export function ensureTopics(s: KafkaServer, topics: readonly string[]): Promise<number> {
  return withAdmin(s, `create ${topics.join(', ')}`, async (admin) => {
    const have = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !have.has(t));
    if (missing.length > 0) await admin.createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true });
    return missing.length;
  });
}

/** Delete every topic whose name starts with `prefix`; the names deleted. */
export function dropTopics(s: KafkaServer, prefix: string): Promise<string[]> {
  return withAdmin(s, `delete the topics under ${prefix}`, async (admin) => {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
    return mine;
  });
}

/** Every topic of the broker (tests and the dry run look). */
export const listTopics = (s: KafkaServer): Promise<string[]> => withAdmin(s, 'list its topics', (admin) => admin.listTopics());
