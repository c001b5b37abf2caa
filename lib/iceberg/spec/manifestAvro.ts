import type { AvroSchema } from './avroContainer.js';
import type { BoundPartitionField } from './partitionSpec.js';
import { avroTypeOf } from './partitionValueAvro.js';

/**
 * Avro schemas of manifests and manifest lists, format v2, with every field id of the
 * spec ("Manifests", "Manifest Lists"). Readers resolve columns by `field-id`, not by name,
 * so ids are what must be exact. Conventions (spec, "Avro" appendix):
 * optional = `["null", T]` with default null; a list = Avro array with `element-id`;
 * a map with int keys = array of `k<keyId>_v<valueId>` records with `logicalType: map`.
 */
function required(name: string, fieldId: number, type: AvroSchema, doc?: string): AvroSchema {
  return doc === undefined ? { name, type, 'field-id': fieldId } : { name, type, doc, 'field-id': fieldId };
}

function optional(name: string, fieldId: number, type: AvroSchema, doc?: string): AvroSchema {
  const field: Record<string, AvroSchema | number | null> = {
    name,
    type: ['null', type],
    default: null,
    'field-id': fieldId,
  };
  if (doc !== undefined) field.doc = doc;
  return field;
}

function intMap(keyId: number, valueId: number, value: AvroSchema): AvroSchema {
  return {
    type: 'array',
    logicalType: 'map',
    items: {
      type: 'record',
      name: `k${keyId}_v${valueId}`,
      fields: [required('key', keyId, 'int'), required('value', valueId, value)],
    },
  };
}

function list(elementId: number, element: AvroSchema): AvroSchema {
  return { type: 'array', items: element, 'element-id': elementId };
}

/**
 * An Avro-compatible name, mapped as Java's AvroSchemaUtil does (`a-b` → `a_x2Db`,
 * `1a` → `_1a`), so partition field names that Avro would reject still make a valid schema.
 */
export function avroName(name: string): string {
  let out = '';
  for (const [i, ch] of [...name].entries()) {
    const ok = i === 0 ? /[A-Za-z_]/.test(ch) : /[A-Za-z0-9_]/.test(ch);
    if (ok) out += ch;
    else if (i === 0 && /[0-9]/.test(ch)) out += `_${ch}`;
    else out += `_x${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase()}`;
  }
  return out === '' ? '_' : out;
}

/** The partition tuple struct `r102`: one optional field per partition field, carrying its id. */
export function partitionAvroSchema(fields: BoundPartitionField[]): AvroSchema {
  const named = new Set<string>();
  return {
    type: 'record',
    name: 'r102',
    fields: fields.map((f) => optional(avroName(f.name), f.fieldId, avroTypeOf(f.resultType, named))),
  };
}

/** `manifest_entry` with its nested `data_file` (struct id 2), for a given partition struct. */
export function manifestEntryAvroSchema(partition: AvroSchema): AvroSchema {
  const dataFile: AvroSchema = {
    type: 'record',
    name: 'r2',
    fields: [
      required('content', 134, 'int', 'Contents of the file: 0=data, 1=position deletes, 2=equality deletes'),
      required('file_path', 100, 'string', 'Location URI with FS scheme'),
      required('file_format', 101, 'string', 'File format name: avro, orc, or parquet'),
      required('partition', 102, partition, 'Partition data tuple, schema based on the partition spec'),
      required('record_count', 103, 'long', 'Number of records in the file'),
      required('file_size_in_bytes', 104, 'long', 'Total file size in bytes'),
      optional('column_sizes', 108, intMap(117, 118, 'long'), 'Map of column id to total size on disk'),
      optional(
        'value_counts',
        109,
        intMap(119, 120, 'long'),
        'Map of column id to total count, including null and NaN',
      ),
      optional('null_value_counts', 110, intMap(121, 122, 'long'), 'Map of column id to null value count'),
      optional(
        'nan_value_counts',
        137,
        intMap(138, 139, 'long'),
        'Map of column id to number of NaN values in the column',
      ),
      optional('lower_bounds', 125, intMap(126, 127, 'bytes'), 'Map of column id to lower bound'),
      optional('upper_bounds', 128, intMap(129, 130, 'bytes'), 'Map of column id to upper bound'),
      optional('key_metadata', 131, 'bytes', 'Encryption key metadata blob'),
      optional('split_offsets', 132, list(133, 'long'), 'Splittable offsets'),
      optional('equality_ids', 135, list(136, 'int'), 'Equality comparison field IDs'),
      optional('sort_order_id', 140, 'int', 'Sort order ID'),
      optional(
        'referenced_data_file',
        143,
        'string',
        'Fully qualified location of a data file that all deletes reference',
      ),
    ],
  };
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      required('status', 0, 'int'),
      optional('snapshot_id', 1, 'long'),
      optional('sequence_number', 3, 'long'),
      optional('file_sequence_number', 4, 'long'),
      required('data_file', 2, dataFile),
    ],
  };
}

/** `manifest_file`: one entry of a manifest list. */
export const MANIFEST_FILE_AVRO_SCHEMA: AvroSchema = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    required('manifest_path', 500, 'string', 'Location URI with FS scheme'),
    required('manifest_length', 501, 'long', 'Total file size in bytes'),
    required('partition_spec_id', 502, 'int', 'Spec ID used to write'),
    required('content', 517, 'int', 'Contents of the manifest: 0=data, 1=deletes'),
    required('sequence_number', 515, 'long', 'Sequence number when the manifest was added'),
    required('min_sequence_number', 516, 'long', 'Lowest sequence number in the manifest'),
    required('added_snapshot_id', 503, 'long', 'Snapshot ID that added the manifest'),
    required('added_files_count', 504, 'int', 'Added entry count'),
    required('existing_files_count', 505, 'int', 'Existing entry count'),
    required('deleted_files_count', 506, 'int', 'Deleted entry count'),
    required('added_rows_count', 512, 'long', 'Added rows count'),
    required('existing_rows_count', 513, 'long', 'Existing rows count'),
    required('deleted_rows_count', 514, 'long', 'Deleted rows count'),
    optional(
      'partitions',
      507,
      list(508, {
        type: 'record',
        name: 'r508',
        fields: [
          required('contains_null', 509, 'boolean', 'True if any file has a null partition value'),
          optional('contains_nan', 518, 'boolean', 'True if any file has a nan partition value'),
          optional('lower_bound', 510, 'bytes', 'Partition lower bound for all files'),
          optional('upper_bound', 511, 'bytes', 'Partition upper bound for all files'),
        ],
      }),
      'Summary for each partition',
    ),
    optional('key_metadata', 519, 'bytes', 'Encryption key metadata blob'),
  ],
};
