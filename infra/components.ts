import { Duration } from 'aws-cdk-lib';

/** The components the drainer fans changes out to; each gets one FIFO queue and one function. */
export const COMPONENT_NAMES = [
  'iceberg_updater',
  'metadata_orchestrator',
  'snapshotter',
  'compactor',
  'catalog_sync',
] as const;

export type ComponentName = (typeof COMPONENT_NAMES)[number];

/**
 * The four that build the tables (catalog_sync is deployed when the stack's `glue` prop is
 * set). Compaction is safe by default now that a compacted file's rows are retracted when
 * the user deletes one of its originals, and the snapshotter's cleanup is what deletes the
 * files compaction replaced (and compaction outputs nobody committed).
 */
export const DEFAULT_COMPONENTS: readonly ComponentName[] = [
  'iceberg_updater',
  'metadata_orchestrator',
  'snapshotter',
  'compactor',
];

/**
 * What a component may do under the tables' `data/` folders, besides reading (see
 * warehouseAccess.ts): nothing, write compaction outputs (`_astha-compacted-*.parq` only),
 * delete compaction outputs (what cleanup deletes by default), or delete any data file (only
 * when the stack hands users' compacted-away files to cleanup: `deleteReplacedUserFiles`).
 * `noObjects`: the component touches no object at all (catalog_sync reads the registry and
 * writes Glue).
 */
export type DataAccess =
  | 'none'
  | 'writeCompactedOutputs'
  | 'deleteCompactedOutputs'
  | 'deleteDataFiles'
  | 'noObjects';

/** FIFO event sources take at most 10 messages per batch. */
export const COMPONENT_BATCH_SIZE = 10;

export interface ComponentSpec {
  /** Handler file under the functions directory. */
  readonly entryFile: string;
  /** Resource-name form of the component (`iceberg-updater`). */
  readonly slug: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  /** Everyone writes and deletes under `<table>/metadata/`; this is what else it does to data. */
  readonly dataAccess: DataAccess;
  /**
   * Messages per invocation. The compactor takes one: a look may rewrite for up to its 400 s
   * budget (lib/compactor/compactTable.ts), so a batch of several tables would outlast 900 s.
   */
  readonly batchSize: number;
}

/*
 * Timeouts stay short because a failed FIFO message blocks its message group until its
 * visibility timeout (6x the function timeout) expires. The compactor is the exception: one
 * rewrite group of up to 1 GiB streams through at a few MB/s, so it gets Lambda's maximum
 * 900 s (visibility 90 min, well within SQS's 12 h) and 1,769 MB, the size at which Lambda
 * gives exactly one vCPU (the rewrite is CPU-bound and single-threaded; more memory buys
 * nothing but cost, and the rewrite streams by row group so memory stays bounded).
 */
const SPECS: Record<ComponentName, ComponentSpec> = {
  iceberg_updater: spec('iceberg-updater', 60, 1024, 'none'),
  metadata_orchestrator: spec('metadata-orchestrator', 60, 512, 'none'),
  snapshotter: spec('snapshotter', 120, 1024, 'deleteCompactedOutputs'),
  compactor: spec('compactor', 900, 1769, 'writeCompactedOutputs'),
  // A few Glue calls per change: small and short.
  catalog_sync: spec('catalog-sync', 60, 256, 'noObjects'),
};

function spec(
  slug: string,
  timeoutSeconds: number,
  memorySize: number,
  dataAccess: DataAccess,
): ComponentSpec {
  return {
    entryFile: `${slug}.ts`,
    slug,
    timeout: Duration.seconds(timeoutSeconds),
    memorySize,
    dataAccess,
    batchSize: slug === 'compactor' ? 1 : COMPONENT_BATCH_SIZE,
  };
}

export function componentSpec(name: ComponentName): ComponentSpec {
  return SPECS[name];
}

export function isComponentName(value: string): value is ComponentName {
  return (COMPONENT_NAMES as readonly string[]).includes(value);
}

/** Parses a comma-separated list (`iceberg_updater,snapshotter`), rejecting unknown or repeated names. */
export function parseComponents(list: string): ComponentName[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const result: ComponentName[] = [];
  for (const name of names) {
    if (!isComponentName(name)) {
      throw new Error(`unknown component "${name}" (expected one of ${COMPONENT_NAMES.join(', ')})`);
    }
    if (result.includes(name)) throw new Error(`component "${name}" listed twice`);
    result.push(name);
  }
  if (result.length === 0) throw new Error('components: at least one component is required');
  return result;
}
