import { join } from 'node:path';
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { type ComponentName, DEFAULT_COMPONENTS } from './components.js';
import { ComponentWorker } from './constructs/componentWorker.js';
import { DRAIN_FUNCTION_ENV, Drainer, type DrainTarget, drainFunctionName } from './constructs/drainer.js';
import { type LibsqlSource, LibsqlConnection } from './constructs/libsqlConnection.js';
import { Monitoring } from './constructs/monitoring.js';
import { Registration } from './constructs/registration.js';
import { RestCatalogApi } from './constructs/restCatalogApi.js';
import { type BucketEncryptionChoice, WarehouseBucket } from './constructs/warehouseBucket.js';
import { type GlueProps, glueEnvironment, grantGlueSync, validGlueProps } from './glueAccess.js';
import { DEFAULT_FUNCTIONS_DIR } from './paths.js';
import { addStackOutputs } from './stackOutputs.js';

export interface AsthaStackProps extends StackProps {
  /** Prefix of every resource name (queues, functions, alarms, dashboard). Default `astha`. */
  readonly namePrefix?: string;
  /** Import this existing bucket instead of creating one. */
  readonly existingBucketName?: string;
  /** Name of the bucket to create (default `<namePrefix>-<account>-<region>`). */
  readonly bucketName?: string;
  /** Encryption of a created bucket. Default S3-managed. */
  readonly encryption?: BucketEncryptionChoice;
  /** Versioning of a created bucket. Default off. */
  readonly versioned?: boolean;
  /** Key prefix of the warehouse inside the bucket (no leading/trailing slash; '' = whole bucket). Default `warehouse`. */
  readonly warehousePrefix?: string;
  /** Where the libSQL URL and token live. Default: secret named `<namePrefix>/libsql`. */
  readonly libsql?: LibsqlSource;
  /** Log retention of every function. Default one month. */
  readonly logRetention?: RetentionDays;
  /** Days before astha's temporary objects expire. Default 2. */
  readonly tempObjectExpirationDays?: number;
  /** Deployed components (each needs `functions/<component-slug>.ts`). Default all four (plus catalog_sync with `glue`). */
  readonly components?: readonly ComponentName[];
  /**
   * Let the snapshotter delete users' files that compaction replaced (any data file), for tables
   * that also set `astha.cleanup.delete-replaced-user-files=true`. Default false: it may delete
   * only compaction outputs (`_astha-compacted-*.parq`).
   */
  readonly deleteReplacedUserFiles?: boolean;
  /** Keep the AWS Glue Data Catalog in step with every commit (deploys catalog_sync). Default off. */
  readonly glue?: GlueProps;
  /** Existing SNS topic to notify on alarm and OK. */
  readonly alarmTopicArn?: string;
  /** Memory of the drain function in MB. Default 256. */
  readonly drainMemorySize?: number;
  /** Poll interval of the drainer inside its invocation. Default 100 ms. */
  readonly drainPollIntervalMs?: number;
  /** pino level of every function. Default `info`. */
  readonly logLevel?: string;
  /** Default 5 minutes. */
  readonly backlogAgeAlarmThreshold?: Duration;
  /** Default 15 minutes. */
  readonly registrationAgeAlarmThreshold?: Duration;
  /** Serve the Iceberg REST catalog behind an IAM-authorized API Gateway. Default true. */
  readonly restCatalog?: boolean;
  /** Directory of the handler files. Default `functions/` of this repository (tests point at fixtures). */
  readonly functionsDir?: string;
}

/** Env var with the warehouse as an object-store URL: `s3://<bucket>/<prefix>`. */
export const WAREHOUSE_ENV = 'ASTHA_WAREHOUSE';
export const LOG_LEVEL_ENV = 'ASTHA_LOG_LEVEL';

/** The whole of astha in one environment-agnostic stack. */
export class AsthaStack extends Stack {
  readonly warehouse: WarehouseBucket;
  readonly registration: Registration;
  readonly components: ReadonlyMap<ComponentName, ComponentWorker>;
  readonly drainer: Drainer;
  readonly monitoring: Monitoring;
  readonly catalog: RestCatalogApi | undefined;

  constructor(scope: Construct, id: string, props: AsthaStackProps = {}) {
    super(scope, id, props);
    const namePrefix = validNamePrefix(props.namePrefix ?? 'astha');
    const keyPrefix = normaliseKeyPrefix(props.warehousePrefix ?? 'warehouse');
    const functionsDir = props.functionsDir ?? DEFAULT_FUNCTIONS_DIR;
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const glue = props.glue === undefined ? undefined : validGlueProps(props.glue);
    const components = withCatalogSync(uniqueComponents(props.components ?? DEFAULT_COMPONENTS), glue);

    this.warehouse = new WarehouseBucket(this, 'Warehouse', {
      namePrefix,
      existingBucketName: props.existingBucketName,
      bucketName: props.bucketName,
      encryption: props.encryption ?? 'S3_MANAGED',
      versioned: props.versioned ?? false,
      keyPrefix,
      tempObjectExpirationDays: props.tempObjectExpirationDays ?? 2,
    });
    const libsql = new LibsqlConnection(
      this,
      'Libsql',
      props.libsql ?? { secretName: `${namePrefix}/libsql` },
    );
    const warehouseUri = `s3://${this.warehouse.bucket.bucketName}/${keyPrefix.replace(/\/$/, '')}`;
    const environment = {
      [WAREHOUSE_ENV]: warehouseUri,
      [LOG_LEVEL_ENV]: props.logLevel ?? 'info',
      [DRAIN_FUNCTION_ENV]: drainFunctionName(namePrefix),
      ...libsql.environment,
    };
    const common = { namePrefix, environment, logRetention };
    const warehouse = this.warehouse.warehouse;

    this.registration = new Registration(this, 'Registration', {
      ...common,
      entry: join(functionsDir, 'register.ts'),
      warehouse,
    });
    this.warehouse.notify(this.registration.queue);

    const workers = new Map<ComponentName, ComponentWorker>();
    for (const component of components) {
      const own =
        component === 'catalog_sync' && glue ? { ...environment, ...glueEnvironment(glue) } : environment;
      const worker = new ComponentWorker(this, pascal(component), {
        ...common,
        environment: own,
        component,
        functionsDir,
        warehouse,
        deleteReplacedUserFiles: props.deleteReplacedUserFiles ?? false,
      });
      if (component === 'catalog_sync' && glue) grantGlueSync(this, worker.function.role, glue);
      workers.set(component, worker);
    }
    this.components = workers;

    const targets = new Map<ComponentName, DrainTarget>([...workers].map(([name, w]) => [name, w]));
    this.drainer = new Drainer(this, 'Astha', {
      ...common,
      entry: join(functionsDir, 'drain.ts'),
      targets,
      memorySize: props.drainMemorySize ?? 256,
      pollIntervalMs: props.drainPollIntervalMs ?? 100,
    });

    this.catalog =
      props.restCatalog === false
        ? undefined
        : new RestCatalogApi(this, 'RestCatalog', {
            ...common,
            entry: join(functionsDir, 'rest-catalog.ts'),
            warehouse,
          });

    const functions = [
      this.registration.function,
      this.drainer.function,
      ...[...workers.values()].map((w) => w.function),
      ...(this.catalog ? [this.catalog.function] : []),
    ];
    for (const fn of functions) libsql.grantRead(fn.role);
    // Every function writes registry changes but the readers: the REST catalog, and catalog_sync
    // (it reads the registry and writes Glue). Writers nudge the drainer (it nudges itself after a
    // long backlog).
    const readers = new Set([workers.get('catalog_sync')?.function, this.catalog?.function]);
    for (const fn of functions) if (!readers.has(fn)) this.drainer.grantNudge(fn.role);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      namePrefix,
      registration: {
        label: 'register',
        queue: this.registration.queue,
        deadLetterQueue: this.registration.deadLetterQueue,
      },
      components: [...workers].map(([name, w]) => ({
        label: name,
        queue: w.queue,
        deadLetterQueue: w.deadLetterQueue,
      })),
      functions,
      drain: this.drainer.function,
      backlogAgeThreshold: props.backlogAgeAlarmThreshold ?? Duration.minutes(5),
      registrationAgeThreshold: props.registrationAgeAlarmThreshold ?? Duration.minutes(15),
      alarmTopic: props.alarmTopicArn
        ? Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
        : undefined,
    });
    addStackOutputs(this, {
      bucketName: this.warehouse.bucket.bucketName,
      warehouseUri,
      registration: this.registration,
      components: workers,
      drain: this.drainer.function,
    });
  }
}

/** Lower-case letters, digits and dashes: it becomes part of bucket, queue and function names. */
export function validNamePrefix(prefix: string): string {
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(prefix)) {
    throw new Error(`namePrefix "${prefix}" must be 1-20 of [a-z0-9-], starting with a letter`);
  }
  return prefix;
}

/** `warehouse`, `/warehouse/` → `warehouse/`; '' or '/' → '' (the whole bucket). */
export function normaliseKeyPrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (/[*?]|\/\//.test(trimmed)) throw new Error(`warehousePrefix "${prefix}" must be a plain key prefix`);
  return trimmed === '' ? '' : `${trimmed}/`;
}

function uniqueComponents(components: readonly ComponentName[]): ComponentName[] {
  const unique = [...new Set(components)];
  if (unique.length !== components.length) throw new Error('components: a component is listed twice');
  if (unique.length === 0) throw new Error('components: at least one component is required');
  return unique;
}

/** `glue` deploys catalog_sync; catalog_sync without `glue` would have no catalog to keep. */
function withCatalogSync(components: ComponentName[], glue: GlueProps | undefined): ComponentName[] {
  const listed = components.includes('catalog_sync');
  if (listed && !glue) throw new Error('components: catalog_sync needs the glue prop (databasePrefix)');
  return glue && !listed ? [...components, 'catalog_sync'] : components;
}

function pascal(component: ComponentName): string {
  return component
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
