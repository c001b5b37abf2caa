/**
 * The table property `schema.name-mapping.default` (Iceberg spec, "Column Projection" /
 * name mapping): how readers find the columns of data files written without Parquet field
 * ids. Each field is matched by name, recursively; list elements are named `element`, map
 * keys and values `key` and `value`, as in Iceberg's own mappings. Pure: no I/O.
 */
import type { IcebergType, Schema } from './spec/types.js';

export interface MappedField {
  'field-id': number;
  names: string[];
  fields?: MappedField[];
}

export type NameMapping = MappedField[];

export const NAME_MAPPING_PROPERTY = 'schema.name-mapping.default';

export function nameMappingFromSchema(schema: Schema): NameMapping {
  return schema.fields.map((field) => mapped(field.id, field.name, field.type));
}

function mapped(id: number, name: string, type: IcebergType): MappedField {
  const fields = nestedMapping(type);
  return fields ? { 'field-id': id, names: [name], fields } : { 'field-id': id, names: [name] };
}

function nestedMapping(type: IcebergType): MappedField[] | undefined {
  if (typeof type === 'string') return undefined;
  if (type.type === 'struct') return type.fields.map((field) => mapped(field.id, field.name, field.type));
  if (type.type === 'list') return [mapped(type['element-id'], 'element', type.element)];
  return [mapped(type['key-id'], 'key', type.key), mapped(type['value-id'], 'value', type.value)];
}
