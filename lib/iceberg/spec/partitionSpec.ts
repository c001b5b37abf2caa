import { IcebergError } from '../icebergError.js';
import type { JsonObject, JsonValue } from './exactJson.js';
import { indexFieldsById, isPrimitive, type PrimitiveType, type Schema } from './types.js';
import { asArray, asInt, asObject, asString } from './wireReader.js';

/**
 * Partition specs (format spec, "Partitioning"). The transform stays its spec string
 * (`identity`, `bucket[16]`, `truncate[4]`, `day`, ...) so specs written by other engines
 * round-trip untouched; `parseTransform` validates it and says what it produces.
 */
export interface PartitionField {
  sourceId: number;
  /** Partition field ids are table-wide and start at 1000 (PARTITION_DATA_ID_START). */
  fieldId: number;
  name: string;
  transform: string;
}

export interface PartitionSpec {
  specId: number;
  fields: PartitionField[];
}

export const FIRST_PARTITION_FIELD_ID = 1000;

/** `last-partition-id` of a table that never had a partition field. */
export const NO_PARTITION_FIELD_ID = FIRST_PARTITION_FIELD_ID - 1;

export const UNPARTITIONED: PartitionSpec = { specId: 0, fields: [] };

export type Transform =
  | { kind: 'identity' | 'void' | 'year' | 'month' | 'day' | 'hour' }
  | { kind: 'bucket'; buckets: number }
  | { kind: 'truncate'; width: number };

const PARAMETERISED = /^(bucket|truncate)\[(\d+)\]$/;

export function parseTransform(transform: string): Transform {
  switch (transform) {
    case 'identity':
    case 'void':
    case 'year':
    case 'month':
    case 'day':
    case 'hour':
      return { kind: transform };
  }
  const match = PARAMETERISED.exec(transform);
  const n = match ? Number(match[2]) : 0;
  if (!match || n < 1 || n > 2 ** 31 - 1) {
    throw new IcebergError('invalid_metadata', `unknown partition transform ${JSON.stringify(transform)}`);
  }
  return match[1] === 'bucket' ? { kind: 'bucket', buckets: n } : { kind: 'truncate', width: n };
}

const TIMESTAMPS = ['timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns'];

/** Whether `transform` may be applied to a column of type `source` (spec table "Partition Transforms"). */
function acceptsSource(transform: Transform, source: PrimitiveType): boolean {
  const base = source.startsWith('decimal') ? 'decimal' : source.startsWith('fixed') ? 'fixed' : source;
  switch (transform.kind) {
    case 'identity':
    case 'void':
      return true;
    case 'bucket':
      return !['boolean', 'float', 'double'].includes(base);
    case 'truncate':
      return ['int', 'long', 'decimal', 'string', 'binary'].includes(base);
    case 'year':
    case 'month':
    case 'day':
      return base === 'date' || TIMESTAMPS.includes(base);
    case 'hour':
      return TIMESTAMPS.includes(base);
  }
}

/** The type of the partition values a transform produces from `source`. */
export function transformResultType(transform: Transform, source: PrimitiveType): PrimitiveType {
  switch (transform.kind) {
    case 'identity':
    case 'void':
    case 'truncate':
      return source;
    case 'bucket':
    case 'year':
    case 'month':
    case 'hour':
      return 'int';
    case 'day':
      // Java and PyIceberg both type day partitions as dates, so readers show them as dates.
      return 'date';
  }
}

export interface BoundPartitionField extends PartitionField {
  sourceType: PrimitiveType;
  resultType: PrimitiveType;
}

/** Resolves every field of `spec` against `schema`; throws when a source column or transform does not fit. */
export function bindPartitionSpec(spec: PartitionSpec, schema: Schema): BoundPartitionField[] {
  const columns = indexFieldsById(schema);
  const names = new Set<string>();
  const ids = new Set<number>();
  return spec.fields.map((field) => {
    const where = `partition spec ${spec.specId} field ${JSON.stringify(field.name)}`;
    const fail = (why: string): never => {
      throw new IcebergError('invalid_update', `${where}: ${why}`);
    };
    if (field.fieldId < FIRST_PARTITION_FIELD_ID) fail(`field id ${field.fieldId} is below 1000`);
    if (ids.has(field.fieldId)) fail(`duplicate field id ${field.fieldId}`);
    if (field.name === '' || names.has(field.name)) fail('empty or duplicate name');
    // Readers resolve filters by name too, so a name may shadow a column only as that column's identity.
    const column = schema.fields.find((c) => c.name === field.name);
    if (column && !(column.id === field.sourceId && field.transform === 'identity')) {
      fail(`name conflicts with schema column ${column.id}`);
    }
    ids.add(field.fieldId);
    names.add(field.name);
    const source = columns.get(field.sourceId);
    if (!source) return fail(`source column ${field.sourceId} is not in schema ${schema['schema-id']}`);
    if (!isPrimitive(source.type)) return fail(`source column ${field.sourceId} is not a primitive`);
    const transform = parseTransform(field.transform);
    if (!acceptsSource(transform, source.type)) fail(`${field.transform} cannot apply to ${source.type}`);
    return { ...field, sourceType: source.type, resultType: transformResultType(transform, source.type) };
  });
}

/** The spec's fields without ids, for "is this the same spec" comparisons. */
export function sameSpecFields(a: PartitionSpec, b: PartitionSpec): boolean {
  const key = (s: PartitionSpec) =>
    JSON.stringify(s.fields.map((f) => [f.sourceId, f.fieldId, f.name, f.transform]));
  return key(a) === key(b);
}

export function highestPartitionFieldId(spec: PartitionSpec): number {
  return spec.fields.reduce((max, f) => Math.max(max, f.fieldId), NO_PARTITION_FIELD_ID);
}

/**
 * Builds a spec from column names, assigning partition field ids from `firstFieldId`
 * (pass `last-partition-id + 1` when evolving a table). Partition names default to the
 * column name for identity and `<column>_<transform>` otherwise, as Java does.
 */
export function partitionSpecFor(
  schema: Schema,
  fields: { column: string; transform?: string; name?: string }[],
  options: { specId?: number; firstFieldId?: number } = {},
): PartitionSpec {
  const firstId = options.firstFieldId ?? FIRST_PARTITION_FIELD_ID;
  const spec: PartitionSpec = {
    specId: options.specId ?? 0,
    fields: fields.map((f, i) => {
      const column = schema.fields.find((c) => c.name === f.column);
      if (!column)
        throw new IcebergError('invalid_update', `partition column ${f.column} is not in the schema`);
      const transform = f.transform ?? 'identity';
      const suffix = transform.replace(/\[(\d+)\]$/, '_$1');
      const name = f.name ?? (transform === 'identity' ? f.column : `${f.column}_${suffix}`);
      return { sourceId: column.id, fieldId: firstId + i, name, transform };
    }),
  };
  bindPartitionSpec(spec, schema);
  return spec;
}

export function partitionSpecToJson(spec: PartitionSpec): JsonObject {
  return { 'spec-id': spec.specId, fields: partitionFieldsToJson(spec.fields) };
}

/** The bare field list: the shape of the `partition-spec` key in manifest metadata. */
export function partitionFieldsToJson(fields: PartitionField[]): JsonValue[] {
  return fields.map((f) => ({
    name: f.name,
    transform: f.transform,
    'source-id': f.sourceId,
    'field-id': f.fieldId,
  }));
}

export function partitionSpecFromJson(json: JsonValue): PartitionSpec {
  const object = asObject(json, 'partition spec');
  return {
    specId: asInt(object['spec-id'], 'spec-id'),
    fields: asArray(object.fields, 'partition spec fields').map((f) => {
      const field = asObject(f, 'partition field');
      const transform = asString(field.transform, 'transform');
      parseTransform(transform);
      return {
        sourceId: asInt(field['source-id'], 'source-id'),
        fieldId: asInt(field['field-id'], 'field-id'),
        name: asString(field.name, 'partition field name'),
        transform,
      };
    }),
  };
}
