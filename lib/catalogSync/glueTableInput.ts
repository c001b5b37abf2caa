/**
 * What an astha table looks like in Glue: the database and table names, the columns (Iceberg
 * types in Glue's Hive type syntax), and the parameters engines read (`table_type=ICEBERG`,
 * `metadata_location`, `previous_metadata_location`) plus astha's ownership marker. Pure.
 */
import { decimalParts, fixedLength, type IcebergType, type Schema } from '../iceberg/spec/types.js';
import type { GlueColumn, GlueTable, GlueTableInput } from './glueCatalog.js';

/** Marks a Glue table astha keeps in step; the value is the table's location, so another
 * deployment's table of the same name (another location) is not ours either. */
export const OWNER_PARAMETER = 'astha.owner';
/** The registry's metadata version the table points at: "never backwards" compares this. */
export const VERSION_PARAMETER = 'astha.metadata_version';
export const TABLE_DESCRIPTION = 'Apache Iceberg table kept in step by astha';

/** The desired state of one Glue table, from the registry. */
export interface DesiredTable {
  database: string;
  name: string;
  location: string;
  metadataLocation: string;
  metadataVersion: number;
  schema: Schema;
}

/** Glue database for an astha namespace: the prefix plus the namespace (both already lower case). */
export function glueDatabaseName(prefix: string, namespace: string): string {
  return `${prefix}${namespace}`;
}

export function isOwnedBy(table: GlueTable, location: string): boolean {
  return table.Parameters[OWNER_PARAMETER] === location;
}

/** The version recorded on a table astha owns; undefined when absent or not a number. */
export function syncedVersion(table: GlueTable): number | undefined {
  const raw = table.Parameters[VERSION_PARAMETER];
  const value = raw === undefined ? Number.NaN : Number(raw);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * The TableInput for `desired`. UpdateTable replaces the whole input, so whatever else is on
 * the existing table (parameters others set, description, owner) is carried forward; the keys
 * astha owns are set from the registry.
 */
export function tableInputFor(desired: DesiredTable, existing?: GlueTable): GlueTableInput {
  const parameters: Record<string, string> = { ...(existing?.Parameters ?? {}) };
  const current = existing?.Parameters.metadata_location;
  if (current !== undefined && current !== desired.metadataLocation) {
    parameters.previous_metadata_location = current;
  }
  parameters.table_type = 'ICEBERG';
  parameters.metadata_location = desired.metadataLocation;
  parameters[OWNER_PARAMETER] = desired.location;
  parameters[VERSION_PARAMETER] = String(desired.metadataVersion);
  const sdParameters = existing?.StorageDescriptor?.Parameters;
  return {
    Name: desired.name,
    Description: existing?.Description ?? TABLE_DESCRIPTION,
    ...(existing?.Owner !== undefined ? { Owner: existing.Owner } : {}),
    TableType: 'EXTERNAL_TABLE',
    Parameters: parameters,
    StorageDescriptor: {
      Location: desired.location,
      Columns: glueColumns(desired.schema),
      ...(sdParameters !== undefined ? { Parameters: sdParameters } : {}),
    },
  };
}

export function glueColumns(schema: Schema): GlueColumn[] {
  return schema.fields.map((field) => ({
    Name: field.name.toLowerCase(),
    Type: glueType(field.type),
    ...(field.doc !== undefined ? { Comment: field.doc } : {}),
  }));
}

/** An Iceberg type in Glue's (Hive's) type syntax, as Athena and the Glue console show it. */
export function glueType(type: IcebergType): string {
  if (typeof type !== 'string') {
    if (type.type === 'struct') {
      return `struct<${type.fields.map((f) => `${f.name.toLowerCase()}:${glueType(f.type)}`).join(',')}>`;
    }
    if (type.type === 'list') return `array<${glueType(type.element)}>`;
    return `map<${glueType(type.key)},${glueType(type.value)}>`;
  }
  const decimal = decimalParts(type);
  if (decimal) return `decimal(${decimal.precision},${decimal.scale})`;
  if (fixedLength(type) !== undefined) return 'binary';
  return PRIMITIVES[type] ?? 'string';
}

const PRIMITIVES: Readonly<Record<string, string>> = {
  boolean: 'boolean',
  int: 'int',
  long: 'bigint',
  float: 'float',
  double: 'double',
  date: 'date',
  // Hive has no time-of-day type; Iceberg's own Glue catalog writes it as string too.
  time: 'string',
  timestamp: 'timestamp',
  timestamptz: 'timestamp',
  timestamp_ns: 'timestamp',
  timestamptz_ns: 'timestamp',
  string: 'string',
  uuid: 'string',
  binary: 'binary',
};
