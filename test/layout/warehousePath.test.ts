import { describe, expect, test } from 'vitest';
import {
  identifierProblem,
  isRegistrationCandidate,
  parseWarehouseKey,
  tableKeyPrefix,
  unescapeHiveValue,
} from '../../lib/layout/warehousePath.js';
import { decodeS3EventKey } from '../../lib/register/s3Notification.js';

describe('parseWarehouseKey', () => {
  test('an unpartitioned file under a prefix', () => {
    expect(parseWarehouseKey('wh/sales/orders/data/part-0.parquet', 'wh/')).toEqual({
      kind: 'data',
      key: {
        namespace: 'sales',
        table: 'orders',
        tablePrefix: 'sales/orders',
        path: 'sales/orders/data/part-0.parquet',
        partitions: [],
        partitionPath: '',
        fileName: 'part-0.parquet',
      },
    });
  });

  test('an empty prefix means the bucket root', () => {
    const parsed = parseWarehouseKey('sales/orders/data/a.parquet', '');
    expect(parsed.kind === 'data' && parsed.key.tablePrefix).toBe('sales/orders');
  });

  test('Hive partitions: escapes undone once, the default partition is null', () => {
    const parsed = parseWarehouseKey(
      'lake/sales/orders/data/region=eu%2Fwest/day=2024-01-02/kind=__HIVE_DEFAULT_PARTITION__/x.parquet',
      'lake',
    );
    expect(parsed.kind).toBe('data');
    if (parsed.kind !== 'data') return;
    expect(parsed.key.partitions).toEqual([
      { column: 'region', raw: 'eu%2Fwest', value: 'eu/west' },
      { column: 'day', raw: '2024-01-02', value: '2024-01-02' },
      { column: 'kind', raw: '__HIVE_DEFAULT_PARTITION__', value: null },
    ]);
    expect(parsed.key.partitionPath).toBe('region=eu%2Fwest/day=2024-01-02/kind=__HIVE_DEFAULT_PARTITION__');
  });

  test('Iceberg metadata under a table is ignored, not rejected', () => {
    expect(parseWarehouseKey('sales/orders/metadata/v1.metadata.json', '').kind).toBe('ignored');
  });

  test.each([
    'sales/orders/data/_SUCCESS',
    'sales/orders/data/_temporary/0/part-0.parquet',
    'sales/orders/data/d=1/_astha-compacted-0.parq',
    'sales/orders/data/.part-0.parquet.crc',
    '.DS_Store',
  ])('%s is a hidden or temporary name: ignored, never announced', (key) => {
    expect(parseWarehouseKey(key, '').kind).toBe('ignored');
    expect(isRegistrationCandidate(key)).toBe(false);
  });

  test.each([
    '_staging/orders/data/a.parquet',
    'sales/orders/data/a.PARQUET',
    'sales/orders/data/a.csv',
    'notes.txt',
  ])('%s is announced (registered, or recorded as rejected)', (key) => {
    expect(isRegistrationCandidate(key)).toBe(true);
  });

  test.each([
    ['other/sales/orders/data/a.parquet', 'wh', /outside the warehouse prefix "wh\/"/],
    ['wh/sales/orders/a.parquet', 'wh', /not <namespace>\/<table>\/data/],
    ['wh/sales/orders/files/a.parquet', 'wh', /expected "data\/"/],
    ['wh/Sales/orders/data/a.parquet', 'wh', /namespace name "Sales" must match/],
    ['wh/sales/my-orders/data/a.parquet', 'wh', /table name "my-orders" must match/],
    ['wh/sales/orders/data/2024/a.parquet', 'wh', /"2024" under data\/ is not a <column>=<value>/],
    ['wh/sales/orders/data/Day=1/a.parquet', 'wh', /partition column name "Day"/],
    ['wh/sales/orders/data/d=1/d=2/a.parquet', 'wh', /appears twice/],
    ['wh/sales/orders/data/d=%zz/a.parquet', 'wh', /malformed %-escape/],
    ['wh/sales/orders/data/a.csv', 'wh', /does not end in .parquet/],
    ['wh/sales/orders/data/a.PARQUET', 'wh', /must end in lower-case \.parquet/],
    ['wh/sales/orders/data/a\\b.parquet', 'wh', /backslash/],
    ['wh/sales/orders/data/../x.parquet', 'wh', /"\." or "\.\." segment/],
    ['wh/sales//orders/data/a.parquet', 'wh', /empty path segment/],
    // A table's folder names: a table named metadata would put data under IAM's metadata grants.
    ['wh/sales/metadata/data/a.parquet', 'wh', /table name "metadata" is reserved/],
    ['wh/sales/data/data/a.parquet', 'wh', /table name "data" is reserved/],
    ['wh/metadata/orders/data/a.parquet', 'wh', /namespace name "metadata" is reserved/],
    ['wh/sales/orders/data/metadata/a.parquet', 'wh', /"metadata" under data\/ is not a <column>=<value>/],
  ])('%s is rejected with a reason', (key, prefix, reason) => {
    const parsed = parseWarehouseKey(key, prefix);
    expect(parsed.kind).toBe('invalid');
    expect(parsed.kind === 'invalid' && parsed.reason).toMatch(reason);
  });
});

describe('identifiers and helpers', () => {
  test.each(['a', '_x', 'orders_2024', 'a'.repeat(128)])('%s is an identifier', (name) => {
    expect(identifierProblem(name, 'table')).toBeUndefined();
  });

  test.each(['', '1a', 'A', 'a-b', 'a b', 'a.b', 'ä', 'a'.repeat(129)])('%j is not', (name) => {
    expect(identifierProblem(name, 'table')).toMatch(/must match/);
  });

  test('tableKeyPrefix normalises slashes', () => {
    expect(tableKeyPrefix('/wh/', 'n', 't')).toBe('wh/n/t');
    expect(tableKeyPrefix('', 'n', 't')).toBe('n/t');
  });

  test('a Hive value without escapes is returned as is, percent signs need valid escapes', () => {
    expect(unescapeHiveValue('a b+c')).toBe('a b+c');
    expect(unescapeHiveValue('100%25')).toBe('100%');
    expect(unescapeHiveValue('100%')).toBeUndefined();
  });

  test('S3 event keys decode exactly once, then map to the layout', () => {
    expect(decodeS3EventKey('a+b%2Bc')).toBe('a b+c');
    // A Hive escape survives S3 decoding (S3 sent %252F for the key's %2F).
    const key = decodeS3EventKey('wh/sales/orders/data/region=eu%252Fwest/my+file.parquet');
    expect(key).toBe('wh/sales/orders/data/region=eu%2Fwest/my file.parquet');
    const parsed = parseWarehouseKey(key, 'wh');
    expect(parsed.kind === 'data' && parsed.key.partitions[0]?.value).toBe('eu/west');
  });
});
