/**
 * A gRPC fake of Temporal's frontend, built from the protobuf descriptors shipped in @temporalio/proto
 * and served by @grpc/grpc-js, so the real @temporalio/client talks real gRPC to it. It implements
 * what dev-instances uses, with Temporal's status codes: GetSystemInfo, RegisterNamespace (6
 * ALREADY_EXISTS), DescribeNamespace (5 NOT_FOUND until visible), OperatorService DeleteNamespace.
 * Anything else answers UNIMPLEMENTED.
 */
import * as grpc from '@grpc/grpc-js';
import { createRequire } from 'node:module';
import type { Root, Type } from 'protobufjs';

const require = createRequire(import.meta.url);
const root = require('@temporalio/proto/protos/json-module.js') as Root;

const WORKFLOW = 'temporal.api.workflowservice.v1.WorkflowService';
const OPERATOR = 'temporal.api.operatorservice.v1.OperatorService';
const STATE = { REGISTERED: 1, DELETED: 3 } as const;

type Handler = (req: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>;

class GrpcError extends Error {
  constructor(readonly code: grpc.status, message: string) { super(message); }
}

function definition(serviceName: string): grpc.ServiceDefinition {
  const svc = root.lookupService(serviceName);
  svc.resolveAll();
  const def: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const [name, m] of Object.entries(svc.methods)) {
    const req = m.resolvedRequestType as Type;
    const res = m.resolvedResponseType as Type;
    def[name] = {
      path: `/${serviceName}/${name}`, requestStream: false, responseStream: false, originalName: name,
      requestSerialize: (o: object) => Buffer.from(req.encode(req.fromObject(o)).finish()),
      requestDeserialize: (b: Buffer) => req.toObject(req.decode(b), { longs: Number, defaults: false }),
      responseSerialize: (o: object) => Buffer.from(res.encode(res.fromObject(o)).finish()),
      responseDeserialize: (b: Buffer) => res.toObject(res.decode(b), { longs: Number }),
    };
  }
  return def;
}

function implementation(def: grpc.ServiceDefinition, handlers: Record<string, Handler>, calls: string[]): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(def)) {
    impl[name] = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      calls.push(name);
      const h = handlers[name];
      if (!h) return cb({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented by the fake` });
      Promise.resolve().then(() => h(call.request)).then((res) => cb(null, res), (err: unknown) => {
        if (err instanceof GrpcError) cb({ code: err.code, details: err.message });
        else cb({ code: grpc.status.INTERNAL, details: String(err) });
      });
    };
  }
  return impl;
}

interface FakeNamespace {
  name: string;
  id: string;
  state: number;
  retentionSeconds: number;
  visibleAt: number;
}

interface ActivityTask {
  token: string;
  type: string;
  args: unknown[];
  settle: (outcome: { result?: unknown; failure?: string; by: string }) => void;
}

export interface TemporalFake {
  address: string;
  /**
   * Schedule an activity on a namespace's task queue, as a workflow would; resolves with what the
   * worker that took it answered.
   */
  scheduleActivity: (namespace: string, taskQueue: string, type: string, args: unknown[]) => Promise<{ result?: unknown; failure?: string; by: string }>;
  /** Tasks waiting on a queue. */
  pending: (namespace: string, taskQueue: string) => number;
  /** Method names in call order. */
  calls: string[];
  namespaces: () => { name: string; state: number; retentionSeconds: number }[];
  close: () => Promise<void>;
}

/** visibilityDelayMs: how long a registered namespace stays invisible to DescribeNamespace (as on a real server). */
export async function startTemporalFake({ visibilityDelayMs = 150, pollTimeoutMs = 500 } = {}): Promise<TemporalFake> {
  const byName = new Map<string, FakeNamespace>();
  const queues = new Map<string, ActivityTask[]>();
  const inFlight = new Map<string, ActivityTask>();
  const queueKey = (namespace: unknown, queue: unknown) => `${String(namespace)}/${String(queue)}`;
  const pollers = new Map<string, (() => void)[]>();
  const wake = (key: string) => { for (const w of pollers.get(key) ?? []) w(); pollers.delete(key); };
  const calls: string[] = [];
  let seq = 0;
  const server = new grpc.Server();
  const wf = definition(WORKFLOW);
  const op = definition(OPERATOR);
  const live = (name: unknown) => {
    const ns = byName.get(String(name));
    return ns && ns.state !== STATE.DELETED ? ns : undefined;
  };
  server.addService(wf, implementation(wf, {
    GetSystemInfo: () => ({ serverVersion: '1.25.0-fake', capabilities: { signalAndQueryHeader: true } }),
    RegisterNamespace: (req) => {
      const name = String(req.namespace ?? '');
      if (!name) throw new GrpcError(grpc.status.INVALID_ARGUMENT, 'Namespace is not set on request.');
      if (live(name)) throw new GrpcError(grpc.status.ALREADY_EXISTS, 'Namespace already exists.');
      const ttl = req.workflowExecutionRetentionPeriod as { seconds?: number } | undefined;
      byName.set(name, { name, id: `ns-${++seq}`, state: STATE.REGISTERED, retentionSeconds: Number(ttl?.seconds ?? 0), visibleAt: Date.now() + visibilityDelayMs });
      return {};
    },
    DescribeNamespace: (req) => {
      const ns = live(req.namespace);
      if (!ns || Date.now() < ns.visibleAt) throw new GrpcError(grpc.status.NOT_FOUND, `Namespace ${String(req.namespace)} is not found.`);
      return {
        namespaceInfo: { name: ns.name, id: ns.id, state: ns.state },
        config: { workflowExecutionRetentionTtl: { seconds: ns.retentionSeconds } },
      };
    },
    PollActivityTaskQueue: async (req) => {
      const key = queueKey(req.namespace, (req.taskQueue as { name?: string } | undefined)?.name);
      const giveUp = Date.now() + pollTimeoutMs;
      for (;;) {
        const task = queues.get(key)?.shift();
        if (task) {
          inFlight.set(task.token, task);
          return {
            taskToken: Buffer.from(task.token), activityType: { name: task.type }, activityId: task.token,
            input: { payloads: task.args.map((a) => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(a)) })) },
          };
        }
        const left = giveUp - Date.now();
        if (left <= 0) return {}; // an empty long-poll answer, as the server gives on its timeout
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          pollers.set(key, [...(pollers.get(key) ?? []), () => { clearTimeout(t); resolve(); }]);
        });
      }
    },
    RespondActivityTaskCompleted: (req) => {
      const token = Buffer.from(req.taskToken as Uint8Array).toString();
      const task = inFlight.get(token);
      if (!task) throw new GrpcError(grpc.status.NOT_FOUND, 'Activity task not found.');
      inFlight.delete(token);
      const payload = (req.result as { payloads?: { data?: Uint8Array }[] } | undefined)?.payloads?.[0];
      task.settle({ result: payload?.data ? JSON.parse(Buffer.from(payload.data).toString()) : undefined, by: String(req.identity) });
      return {};
    },
    RespondActivityTaskFailed: (req) => {
      const token = Buffer.from(req.taskToken as Uint8Array).toString();
      const task = inFlight.get(token);
      if (!task) throw new GrpcError(grpc.status.NOT_FOUND, 'Activity task not found.');
      inFlight.delete(token);
      task.settle({ failure: String((req.failure as { message?: string } | undefined)?.message), by: String(req.identity) });
      return {};
    },
  }, calls));
  server.addService(op, implementation(op, {
    DeleteNamespace: (req) => {
      const ns = live(req.namespace);
      if (!ns) throw new GrpcError(grpc.status.NOT_FOUND, `Namespace ${String(req.namespace)} is not found.`);
      // Like the real server: the namespace is renamed and marked deleted; its name is free again.
      byName.delete(ns.name);
      const deleted = `${ns.name}-deleted-${ns.id}`;
      byName.set(deleted, { ...ns, name: deleted, state: STATE.DELETED });
      return { deletedNamespace: deleted };
    },
  }, calls));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return {
    address: `127.0.0.1:${port}`,
    scheduleActivity: (namespace, taskQueue, type, args) => new Promise((settle) => {
      const key = queueKey(namespace, taskQueue);
      queues.set(key, [...(queues.get(key) ?? []), { token: `task-${++seq}`, type, args, settle }]);
      wake(key);
    }),
    pending: (namespace, taskQueue) => queues.get(queueKey(namespace, taskQueue))?.length ?? 0,
    calls,
    namespaces: () => [...byName.values()].map(({ name, state, retentionSeconds }) => ({ name, state, retentionSeconds })),
    close: () => new Promise<void>((resolve) => { server.forceShutdown(); resolve(); }),
  };
}
