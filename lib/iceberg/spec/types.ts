/**
 * Iceberg schema types (format spec, "Schemas and Data Types"), in their JSON shape.
 * Pure data: no I/O. Primitive types are their spec strings (`"long"`, `"decimal(9,2)"`,
 * `"fixed[16]"`); nested types are objects with field ids.
 */
export type PrimitiveType =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | `decimal(${number},${number})`
  | `decimal(${number}, ${number})`
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'timestamp_ns'
  | 'timestamptz_ns'
  | 'string'
  | 'uuid'
  | `fixed[${number}]`
  | 'binary';

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
}

export interface StructType {
  type: 'struct';
  fields: NestedField[];
}

export interface ListType {
  type: 'list';
  'element-id': number;
  element: IcebergType;
  'element-required': boolean;
}

export interface MapType {
  type: 'map';
  'key-id': number;
  key: IcebergType;
  'value-id': number;
  value: IcebergType;
  'value-required': boolean;
}

export type IcebergType = PrimitiveType | StructType | ListType | MapType;

export interface Schema extends StructType {
  'schema-id': number;
  'identifier-field-ids'?: number[];
}

export function isPrimitive(type: IcebergType): type is PrimitiveType {
  return typeof type === 'string';
}

/** `decimal(P,S)` → {precision, scale}; undefined for other types. */
export function decimalParts(type: IcebergType): { precision: number; scale: number } | undefined {
  if (typeof type !== 'string') return undefined;
  const match = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(type);
  if (!match) return undefined;
  return { precision: Number(match[1]), scale: Number(match[2]) };
}

/**
 * Whether two types are the same type, compared as types rather than as text: `decimal(18, 4)`
 * (as PyIceberg and Spark write it) and `decimal(18,4)` are one type; nested types compare field
 * by field (ids, names, optionality, docs).
 */
export function sameType(a: IcebergType, b: IcebergType): boolean {
  if (typeof a === 'string' || typeof b === 'string') {
    if (typeof a !== 'string' || typeof b !== 'string') return false;
    const [da, db] = [decimalParts(a), decimalParts(b)];
    if (da || db) return !!da && !!db && da.precision === db.precision && da.scale === db.scale;
    return a === b;
  }
  if (a.type === 'struct' || b.type === 'struct') {
    return a.type === 'struct' && b.type === 'struct' && sameFieldList(a.fields, b.fields);
  }
  if (a.type === 'list' || b.type === 'list') {
    return (
      a.type === 'list' &&
      b.type === 'list' &&
      a['element-id'] === b['element-id'] &&
      a['element-required'] === b['element-required'] &&
      sameType(a.element, b.element)
    );
  }
  return (
    a['key-id'] === b['key-id'] &&
    a['value-id'] === b['value-id'] &&
    a['value-required'] === b['value-required'] &&
    sameType(a.key, b.key) &&
    sameType(a.value, b.value)
  );
}

/** Field lists equal in order, ids, names, optionality, docs and (structurally) types. */
export function sameFieldList(a: readonly NestedField[], b: readonly NestedField[]): boolean {
  return (
    a.length === b.length &&
    a.every((field, i) => {
      const other = b[i]!;
      return (
        field.id === other.id &&
        field.name === other.name &&
        field.required === other.required &&
        (field.doc ?? null) === (other.doc ?? null) &&
        sameType(field.type, other.type)
      );
    })
  );
}

/** Same fields (compared as types, see `sameType`) and identifier field ids; the schema id aside. */
export function sameSchemaFields(a: Schema, b: Schema): boolean {
  const ids = (s: Schema) => JSON.stringify(s['identifier-field-ids'] ?? []);
  return ids(a) === ids(b) && sameFieldList(a.fields, b.fields);
}

/** `fixed[L]` → L; undefined for other types. */
export function fixedLength(type: IcebergType): number | undefined {
  if (typeof type !== 'string') return undefined;
  const match = /^fixed\[(\d+)\]$/.exec(type);
  return match ? Number(match[1]) : undefined;
}

/** Every field of a schema, nested ones included, keyed by field id. */
export function indexFieldsById(struct: StructType): Map<number, NestedField> {
  const byId = new Map<number, NestedField>();
  const visit = (type: IcebergType): void => {
    if (typeof type === 'string') return;
    if (type.type === 'struct') {
      for (const field of type.fields) {
        byId.set(field.id, field);
        visit(field.type);
      }
    } else if (type.type === 'list') {
      byId.set(type['element-id'], {
        id: type['element-id'],
        name: 'element',
        required: type['element-required'],
        type: type.element,
      });
      visit(type.element);
    } else {
      byId.set(type['key-id'], { id: type['key-id'], name: 'key', required: true, type: type.key });
      byId.set(type['value-id'], {
        id: type['value-id'],
        name: 'value',
        required: type['value-required'],
        type: type.value,
      });
      visit(type.key);
      visit(type.value);
    }
  };
  visit(struct);
  return byId;
}

/** Highest field id used anywhere in the type (0 for an empty struct). */
export function highestFieldId(type: IcebergType): number {
  if (typeof type === 'string') return 0;
  if (type.type === 'struct') {
    return type.fields.reduce((max, f) => Math.max(max, f.id, highestFieldId(f.type)), 0);
  }
  if (type.type === 'list') return Math.max(type['element-id'], highestFieldId(type.element));
  return Math.max(type['key-id'], type['value-id'], highestFieldId(type.key), highestFieldId(type.value));
}
