// A small Temporal activity worker: long-polls the instance's task queue through the SDK client's
// WorkflowService and answers each activity task. (The full @temporalio/worker SDK also runs
// workflows, at the price of webpack and a native core; the demo needs activities only.)
import { Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';

/**
 * Runs until signal aborts. activities: { [activityType]: async (...args) => result }.
 * Returns once the poll loop has stopped and the connection is closed.
 */
export async function runActivityWorker({ address, namespace, taskQueue, identity, activities, signal, log = console.log }) {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  const service = connection.workflowService;
  log(`temporal: polling task queue ${taskQueue} in namespace ${namespace}`);
  try {
    while (!signal.aborted) {
      let task;
      try {
        task = await connection.withAbortSignal(signal, () =>
          service.pollActivityTaskQueue({ namespace, taskQueue: { name: taskQueue }, identity }));
      } catch (err) {
        if (signal.aborted) break;
        log(`temporal: poll failed (${err.message}); retrying`);
        await new Promise((r) => setTimeout(r, 1_000));
        continue;
      }
      if (!task.taskToken || task.taskToken.length === 0) continue; // the long poll ended empty
      const type = task.activityType?.name ?? '';
      const args = (task.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p));
      try {
        const fn = activities[type];
        if (!fn) throw new Error(`no activity named ${type} on ${identity}`);
        const result = await fn(...args);
        await service.respondActivityTaskCompleted({
          namespace, taskToken: task.taskToken, identity,
          result: { payloads: result === undefined ? [] : [defaultPayloadConverter.toPayload(result)] },
        });
      } catch (err) {
        await service.respondActivityTaskFailed({
          namespace, taskToken: task.taskToken, identity,
          failure: { message: err.message, source: 'dev-instances-demo', applicationFailureInfo: { type: err.name ?? 'Error' } },
        }).catch((e) => log(`temporal: could not report a failure: ${e.message}`));
      }
    }
  } finally {
    await connection.close();
  }
}
