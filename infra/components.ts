import { Duration } from 'aws-cdk-lib';

/** The components the drainer fans changes out to; each gets one FIFO queue and one function. */
export const COMPONENT_NAMES = [
  'iceberg_updater',
  'metadata_orchestrator',
  'snapshotter',
  'compactor',
] as const;

export type ComponentName = (typeof COMPONENT_NAMES)[number];

/** Deployed until the handlers of the table-maintenance issue (snapshotter, compactor) exist. */
export const DEFAULT_COMPONENTS: readonly ComponentName[] = ['iceberg_updater', 'metadata_orchestrator'];

export interface ComponentSpec {
  /** Handler file under the functions directory. */
  readonly entryFile: string;
  /** Resource-name form of the component (`iceberg-updater`). */
  readonly slug: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  /**
   * May write data files (not only metadata): the compactor writes merged files under
   * `<table>/data/`. Everyone else writes only under `<table>/metadata/`.
   */
  readonly writesData: boolean;
}

/*
 * Timeouts stay short because a failed FIFO message blocks its message group until its
 * visibility timeout (6x the function timeout) expires; the compactor rewrites data and needs
 * more time and memory.
 */
const SPECS: Record<ComponentName, ComponentSpec> = {
  iceberg_updater: spec('iceberg-updater', 60, 1024, false),
  metadata_orchestrator: spec('metadata-orchestrator', 60, 512, false),
  snapshotter: spec('snapshotter', 120, 1024, false),
  compactor: spec('compactor', 300, 2048, true),
};

function spec(slug: string, timeoutSeconds: number, memorySize: number, writesData: boolean): ComponentSpec {
  return { entryFile: `${slug}.ts`, slug, timeout: Duration.seconds(timeoutSeconds), memorySize, writesData };
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
