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

type Handler = (req: Record<string, unknown>) => Record<string, unknown>;

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
      try {
        cb(null, h(call.request));
      } catch (err) {
        if (err instanceof GrpcError) cb({ code: err.code, details: err.message });
        else cb({ code: grpc.status.INTERNAL, details: String(err) });
      }
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

export interface TemporalFake {
  address: string;
  /** Method names in call order. */
  calls: string[];
  namespaces: () => { name: string; state: number; retentionSeconds: number }[];
  close: () => Promise<void>;
}

/** visibilityDelayMs: how long a registered namespace stays invisible to DescribeNamespace (as on a real server). */
export async function startTemporalFake({ visibilityDelayMs = 150 } = {}): Promise<TemporalFake> {
  const byName = new Map<string, FakeNamespace>();
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
    calls,
    namespaces: () => [...byName.values()].map(({ name, state, retentionSeconds }) => ({ name, state, retentionSeconds })),
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
