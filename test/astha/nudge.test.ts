/**
 * Nothing runs when nothing happens: the nudge protocol. A nudge that finds the lease taken
 * loses no change (the leaving holder looks again after its release), the local scheduler
 * runs again after a nudge that came mid-run and only on its schedule otherwise, and the
 * writers' middleware nudges only when the log holds rows; the deployed nudge is an async
 * invoke of the drain function, and a refused one never fails the writer.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@libsql/client';
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { DrainScheduler } from '../../lib/astha/drainScheduler.js';
import { nudgeIfPending } from '../../lib/astha/nudge.js';
import { runFor, type RunSummary } from '../../lib/astha/runFor.js';
import { LambdaNudger, NUDGE_EVENT } from '../../lib/aws/lambdaNudger.js';
import { drainNudge } from '../../lib/lambda/drainNudge.js';
import {
  appendLogs,
  asQueues,
  componentQueues,
  FifoSink,
  images,
  type LogEntry,
  logIds,
  RecordingQueue,
  sortedIds,
  registryPerTest,
  testLogger,
} from './helpers.js';

const registry = registryPerTest();

const change = (i: number): LogEntry => ['tables', 'UPDATE', images.tables(i), images.tables(i)];
const isBatchRead = (statement: unknown) =>
  JSON.stringify(statement).includes('json_group_array') && !JSON.stringify(statement).includes('LIMIT 1)');

/** The registry client, with a hook that runs once right after a read finds the log empty. */
function withHookAfterEmptyRead(client: Client, hook: () => Promise<void>): Client {
  let fired = false;
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'execute' && property !== 'batch') {
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      const afterRead = async (statement: unknown, batch: unknown) => {
        if (!fired && isBatchRead(statement) && batch === '[]') {
          fired = true;
          await hook();
        }
      };
      if (property === 'batch') {
        // The drain pass reads the log together with the breakers.
        return async (statements: Parameters<Client['batch']>[0], mode?: Parameters<Client['batch']>[1]) => {
          const results = await target.batch(statements, mode);
          await afterRead(statements[0], String(results[0]?.rows[0]?.['batch']));
          return results;
        };
      }
      return async (statement: Parameters<Client['execute']>[0]) => {
        const result = await target.execute(statement);
        await afterRead(statement, String(result.rows[0]?.['batch']));
        return result;
      };
    },
  });
}

describe('drainer nudges', () => {
  it('a change whose nudge finds the lease taken is drained by the leaving holder', async () => {
    const queues = componentQueues((c) => new RecordingQueue(new FifoSink(c)));
    const first = await appendLogs(registry.client, [change(1)]);
    const writer = await registry.connect();
    let late: number[] = [];
    let nudged: RunSummary | undefined;
    // Between the holder's empty read and its release: a writer commits and nudges a second run.
    const client = withHookAfterEmptyRead(registry.client, async () => {
      late = await appendLogs(writer, [change(2)]);
      nudged = await runFor(
        { registry: writer, queues: asQueues(queues), logger: testLogger().logger },
        5_000,
        { whenLeased: 'exit', untilEmpty: true },
      );
    });
    const holder = await runFor(
      { registry: client, queues: asQueues(queues), logger: testLogger().logger },
      10_000,
      {
        untilEmpty: true,
      },
    );

    expect(nudged).toMatchObject({ acquired: false, stopped: 'not_acquired' });
    expect(holder).toMatchObject({ stopped: 'empty', rounds: 2 });
    expect(await logIds(registry.client)).toEqual([]);
    expect(sortedIds(queues.metadata_orchestrator.accepted)).toEqual([...first, ...late]);
  });

  it('the local scheduler runs again after a nudge that came mid-run, and otherwise only on schedule', async () => {
    let simulated = 0;
    const sleeps: number[] = [];
    let nudgeDuringRun = true;
    const scheduler: DrainScheduler = new DrainScheduler({
      everyMs: 10_000,
      onError: (error) => {
        throw error;
      },
      run: async () => {
        if (nudgeDuringRun) {
          nudgeDuringRun = false;
          await scheduler.nudge();
        }
      },
      // A simulated clock: each wait takes no real time.
      sleep: async (ms) => {
        sleeps.push(ms);
        simulated += ms;
        if (simulated >= 60_000) void scheduler.stop();
        await new Promise((r) => setImmediate(r));
      },
    });
    scheduler.start();
    await new Promise<void>((resolve) => {
      const check = () => (simulated >= 60_000 ? resolve() : setTimeout(check, 5));
      check();
    });
    await scheduler.stop();
    // Run 1 was nudged mid-run, so run 2 followed without a wait; then one run per 10 s.
    expect(sleeps.every((ms) => ms === 10_000)).toBe(true);
    expect(scheduler.runs).toBe(2 + 5);
  });

  it('the writers’ middleware nudges after the handler only when the log holds rows', async () => {
    let nudges = 0;
    const nudger = { nudge: async () => void nudges++ };
    const writes = { rows: 0 };
    const handler = middy(async () => {
      if (writes.rows > 0) await appendLogs(registry.client, [change(writes.rows)]);
      return 'done';
    }).use(drainNudge({ registry: async () => registry.client, nudger, logger: testLogger().logger }));

    expect(await handler(undefined, {} as never)).toBe('done');
    expect(nudges).toBe(0);
    writes.rows = 1;
    await handler(undefined, {} as never);
    expect(nudges).toBe(1);
  });
});

describe('LambdaNudger', () => {
  /** Lambda's Invoke API on 127.0.0.1 (LocalStack here runs without Lambda): records each call. */
  async function lambdaApi(status: number) {
    const calls: { method?: string; url?: string; type?: string; body: string }[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        calls.push({
          method: request.method,
          url: request.url,
          type: String(request.headers['x-amz-invocation-type']),
          body,
        });
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(status === 202 ? '' : JSON.stringify({ Type: 'User', message: 'Function not found' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const nudger = new LambdaNudger('astha-drain', {
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    return { calls, nudger, close: () => new Promise((r) => server.close(r)) };
  }

  it('nudges with an asynchronous invoke of the drain function carrying the nudge event', async () => {
    const api = await lambdaApi(202);
    try {
      await appendLogs(registry.client, [change(1)]);
      expect(await nudgeIfPending(registry.client, api.nudger, testLogger().logger)).toBe(true);
      expect(api.calls).toEqual([
        {
          method: 'POST',
          url: '/2015-03-31/functions/astha-drain/invocations',
          type: 'Event',
          body: JSON.stringify(NUDGE_EVENT),
        },
      ]);
    } finally {
      await api.close();
    }
  });

  it('a refused nudge is logged and left to the schedule; the writer does not fail', async () => {
    const api = await lambdaApi(404);
    try {
      await appendLogs(registry.client, [change(1)]);
      const { logger, lines } = testLogger();
      expect(await nudgeIfPending(registry.client, api.nudger, logger)).toBe(false);
      expect(lines.map((l) => l['msg'])).toContain(
        'drainer nudge failed; the schedule will drain the changes',
      );
    } finally {
      await api.close();
    }
  });
});
