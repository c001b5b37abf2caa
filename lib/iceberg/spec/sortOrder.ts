import { IcebergError } from '../icebergError.js';
import type { JsonObject, JsonValue } from './exactJson.js';
import { parseTransform } from './partitionSpec.js';
import { asArray, asInt, asObject, asString } from './wireReader.js';

/** Sort orders (format spec, "Sorting"). Order id 0 is reserved for "unsorted" and has no fields. */
export type SortDirection = 'asc' | 'desc';
export type NullOrder = 'nulls-first' | 'nulls-last';

export interface SortField {
  sourceId: number;
  transform: string;
  direction: SortDirection;
  nullOrder: NullOrder;
}

export interface SortOrder {
  orderId: number;
  fields: SortField[];
}

export const UNSORTED_ORDER_ID = 0;
export const UNSORTED: SortOrder = { orderId: UNSORTED_ORDER_ID, fields: [] };

export function isUnsorted(order: SortOrder): boolean {
  return order.fields.length === 0;
}

export function sameSortFields(a: SortOrder, b: SortOrder): boolean {
  const key = (o: SortOrder) =>
    JSON.stringify(o.fields.map((f) => [f.sourceId, f.transform, f.direction, f.nullOrder]));
  return key(a) === key(b);
}

export function sortOrderToJson(order: SortOrder): JsonObject {
  return {
    'order-id': order.orderId,
    fields: order.fields.map((f) => ({
      transform: f.transform,
      'source-id': f.sourceId,
      direction: f.direction,
      'null-order': f.nullOrder,
    })),
  };
}

export function sortOrderFromJson(json: JsonValue): SortOrder {
  const object = asObject(json, 'sort order');
  const order: SortOrder = {
    orderId: asInt(object['order-id'], 'order-id'),
    fields: asArray(object.fields, 'sort order fields').map((f) => {
      const field = asObject(f, 'sort field');
      const transform = asString(field.transform, 'sort field transform');
      parseTransform(transform);
      const direction = asString(field.direction, 'direction');
      const nullOrder = asString(field['null-order'], 'null-order');
      if (direction !== 'asc' && direction !== 'desc') {
        throw new IcebergError('invalid_metadata', `sort direction must be asc or desc, got ${direction}`);
      }
      if (nullOrder !== 'nulls-first' && nullOrder !== 'nulls-last') {
        throw new IcebergError(
          'invalid_metadata',
          `null-order must be nulls-first or nulls-last, got ${nullOrder}`,
        );
      }
      return { sourceId: asInt(field['source-id'], 'source-id'), transform, direction, nullOrder };
    }),
  };
  validateSortOrder(order, 'invalid_metadata');
  return order;
}

/** Order id 0 means unsorted and nothing else may use it. */
export function validateSortOrder(order: SortOrder, code: 'invalid_metadata' | 'invalid_update'): void {
  if ((order.orderId === UNSORTED_ORDER_ID) !== isUnsorted(order)) {
    throw new IcebergError(
      code,
      `sort order ${order.orderId}: order id 0 is reserved for the unsorted order`,
    );
  }
}
