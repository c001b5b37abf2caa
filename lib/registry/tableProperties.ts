/**
 * Table properties as people set them (`astha properties`): commit policy, target file size,
 * expiration. The registry row changes; its CDC event makes the metadata orchestrator commit
 * the same properties to the Iceberg table, and the components read them from the registry.
 */
import { RegistryError } from './registryError.js';
import type { Client } from '@libsql/client';
import { DELETE_REPLACED_USER_FILES } from '../snapshotter/cleanupOrphans.js';
import { writeTransaction } from './writeTransaction.js';

/** Iceberg-style keys: lower-case words joined by `.`, `-` or `_`. */
const PROPERTY_KEY = /^[a-z0-9]+([._-][a-z0-9]+)*$/;
const MAX_VALUE_LENGTH = 4096;
/** Switches that hand astha something it would not otherwise do: a typo must not pass as `false`. */
const BOOLEAN_KEYS: ReadonlySet<string> = new Set([DELETE_REPLACED_USER_FILES]);

export function propertyProblem(key: string, value?: string): string | undefined {
  if (!PROPERTY_KEY.test(key))
    return `invalid property name ${JSON.stringify(key)} (lower-case words joined by . - or _)`;
  if (value !== undefined && value.length > MAX_VALUE_LENGTH)
    return `value of ${key} is longer than ${MAX_VALUE_LENGTH} characters`;
  if (value !== undefined && BOOLEAN_KEYS.has(key) && value !== 'true' && value !== 'false')
    return `${key} must be true or false, got ${JSON.stringify(value)}`;
  return undefined;
}

/** Sets and removes properties in one transaction; returns the table's properties after. */
export async function updateTableProperties(
  client: Client,
  tableId: number,
  set: Readonly<Record<string, string>>,
  unset: readonly string[] = [],
): Promise<Record<string, string>> {
  for (const [key, value] of Object.entries(set)) {
    const problem = propertyProblem(key, value);
    if (problem) throw new RegistryError('invalid_property', problem);
  }
  for (const key of unset) {
    const problem = propertyProblem(key);
    if (problem) throw new RegistryError('invalid_property', problem);
  }
  return writeTransaction(client, async (tx) => {
    const row = (
      await tx.execute({
        sql: 'SELECT properties_json FROM table_metadata WHERE table_id = ?',
        args: [tableId],
      })
    ).rows[0];
    if (!row) throw new RegistryError('not_found', `table ${tableId} has no metadata row`);
    const properties = JSON.parse(String(row.properties_json)) as Record<string, string>;
    for (const key of unset) delete properties[key];
    Object.assign(properties, set);
    await tx.execute({
      sql: 'UPDATE table_metadata SET properties_json = ? WHERE table_id = ?',
      args: [JSON.stringify(properties), tableId],
    });
    return properties;
  });
}
