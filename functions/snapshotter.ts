/**
 * The snapshotter function: FIFO batches of Astha change events and control messages in,
 * partial batch failures out, like every component. It is also the target of a schedule
 * (EventBridge, e.g. every minute): a scheduled invocation is a tick that commits the tables
 * whose commit policy is due and expires and cleans up tables whose maintenance is due.
 */
import middy from '@middy/core';
import type { ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createComponentHandler, type ComponentHandler } from '../lib/components/componentHandler.js';
import { loadConfig } from '../lib/config.js';
import { drainNudgeFromConfig } from '../lib/lambda/drainNudge.js';
import { createLogger } from '../lib/log.js';
import { dependenciesOnce } from '../lib/runtime/dependencies.js';
import { createSnapshotter, type Snapshotter } from '../lib/snapshotter/snapshotter.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: 'snapshotter' });
const dependencies = dependenciesOnce(config, logger);

let ready: { snapshotter: Snapshotter; handle: ComponentHandler } | undefined;
async function build() {
  if (!ready) {
    const snapshotter = createSnapshotter(await dependencies());
    ready = { snapshotter, handle: createComponentHandler(snapshotter, logger) };
  }
  return ready;
}

type SnapshotterEvent = SQSEvent | ScheduledEvent;

async function snapshotterHandler(event: SnapshotterEvent): Promise<SQSBatchResponse | undefined> {
  const { snapshotter, handle } = await build();
  if (!('Records' in event)) {
    const report = await snapshotter.tick();
    logger.info(
      { committed: report.committed.length, maintained: report.maintained.length, failed: report.failed },
      'scheduled tick',
    );
    return undefined;
  }
  const { summary, ...response } = await handle(event);
  logger.debug(summary, 'snapshotter batch');
  return response;
}

export const handler = middy<SnapshotterEvent, SQSBatchResponse | undefined>()
  .use(drainNudgeFromConfig(config, dependencies, logger))
  .handler(snapshotterHandler);
