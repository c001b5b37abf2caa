import { IcebergError } from '../icebergError.js';
import type { JsonObject, JsonValue } from './exactJson.js';
import type { IcebergType, NestedField, PrimitiveType, Schema, StructType } from './types.js';
import { asArray, asBoolean, asInt, asObject, asString } from './wireReader.js';

/**
 * Schema JSON (format spec, Appendix C). The domain type in types.ts already has the JSON
 * shape, so reading is validation: every id an integer, every type one the spec names.
 */
const PRIMITIVE =
  /^(boolean|int|long|float|double|date|time|timestamp|timestamptz|timestamp_ns|timestamptz_ns|string|uuid|binary|decimal\(\s*\d+\s*,\s*\d+\s*\)|fixed\[\d+\])$/;

export function schemaFromJson(json: JsonValue): Schema {
  const object = asObject(json, 'schema');
  const struct = structFromJson(object);
  const schema: Schema = {
    type: 'struct',
    'schema-id': asInt(object['schema-id'] ?? 0, 'schema-id'),
    fields: struct.fields,
  };
  const identifiers = object['identifier-field-ids'];
  if (identifiers !== undefined) {
    schema['identifier-field-ids'] = asArray(identifiers, 'identifier-field-ids').map((id) =>
      asInt(id, 'identifier field id'),
    );
  }
  return schema;
}

export function schemaToJson(schema: Schema): JsonObject {
  // The domain type is the JSON shape; copying drops nothing and adds no undefined members.
  return JSON.parse(JSON.stringify(schema)) as JsonObject;
}

function typeFromJson(json: JsonValue | undefined, what: string): IcebergType {
  if (typeof json === 'string') {
    if (!PRIMITIVE.test(json)) throw new IcebergError('invalid_metadata', `${what}: unknown type ${json}`);
    return json as PrimitiveType;
  }
  const object = asObject(json, what);
  const kind = asString(object.type, `${what} type`);
  if (kind === 'struct') return structFromJson(object);
  if (kind === 'list') {
    return {
      type: 'list',
      'element-id': asInt(object['element-id'], `${what} element-id`),
      element: typeFromJson(object.element, `${what} element`),
      'element-required': asBoolean(object['element-required'], `${what} element-required`),
    };
  }
  if (kind === 'map') {
    return {
      type: 'map',
      'key-id': asInt(object['key-id'], `${what} key-id`),
      key: typeFromJson(object.key, `${what} key`),
      'value-id': asInt(object['value-id'], `${what} value-id`),
      value: typeFromJson(object.value, `${what} value`),
      'value-required': asBoolean(object['value-required'], `${what} value-required`),
    };
  }
  throw new IcebergError('invalid_metadata', `${what}: unknown type ${kind}`);
}

function structFromJson(object: JsonObject): StructType {
  if (object.type !== 'struct') throw new IcebergError('invalid_metadata', 'schema: type must be struct');
  const fields = asArray(object.fields, 'struct fields').map((f): NestedField => {
    const field = asObject(f, 'field');
    const name = asString(field.name, 'field name');
    const nested: NestedField = {
      id: asInt(field.id, `field ${name} id`),
      name,
      required: asBoolean(field.required, `field ${name} required`),
      type: typeFromJson(field.type, `field ${name}`),
    };
    if (typeof field.doc === 'string') nested.doc = field.doc;
    return nested;
  });
  return { type: 'struct', fields };
}
