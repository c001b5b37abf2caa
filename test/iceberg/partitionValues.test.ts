import { describe, expect, it } from 'vitest';
import {
  HIVE_NULL,
  inferPartitionType,
  partitionValueFromJson,
  partitionValueFromPath,
  partitionValueToJson,
} from '../../lib/iceberg/partitionValues.js';
import { toSingleValue } from '../../lib/iceberg/spec/singleValue.js';
import type { IcebergType, PrimitiveType } from '../../lib/iceberg/spec/types.js';

describe('inferPartitionType', () => {
  const cases: Array<[string, IcebergType]> = [
    ['0', 'long'],
    ['42', 'long'],
    ['-17', 'long'],
    ['9223372036854775807', 'long'],
    ['-9223372036854775808', 'long'],
    ['9223372036854775808', 'string'], // does not fit a long
    ['007', 'string'], // leading zeros would be lost
    ['-0', 'string'],
    ['+5', 'string'],
    ['1.5', 'string'],
    ['2024-02-29', 'date'],
    ['2023-02-29', 'string'], // not a calendar date
    ['2024-13-01', 'string'],
    ['2024-1-1', 'string'],
    ['2024%2D01%2D01', 'date'], // decoded before looking
    ['us-east-1', 'string'],
    ['', 'string'],
    [HIVE_NULL, 'string'],
  ];
  it.each(cases)('%s → %s', (raw, type) => {
    expect(inferPartitionType(raw)).toBe(type);
  });
});

describe('partitionValueFromPath', () => {
  const cases: Array<[IcebergType, string, unknown]> = [
    ['string', 'a%2Fb%3Dc', 'a/b=c'],
    ['string', '100%25', '100%'],
    ['string', '%2541', '%41'], // decoded once only
    ['string', 'a+b', 'a+b'], // Hive does not use + for space
    ['string', 'caf%C3%A9', 'café'],
    ['string', '', ''],
    ['long', '42', 42],
    ['long', '-9007199254740993', -9007199254740993n],
    ['long', '9223372036854775807', 9223372036854775807n],
    ['int', '-2147483648', -2147483648],
    ['date', '1970-01-01', 0],
    ['date', '2017-11-16', 17486],
    ['date', '1969-12-31', -1],
    ['boolean', 'true', true],
    ['boolean', 'FALSE', false],
    ['decimal(9,2)', '14.2', 1420n],
    ['decimal(9,2)', '-0.05', -5n],
    ['decimal(5,0)', '12345', 12345n],
  ];
  it.each(cases)('%s %s → %s', (type, raw, value) => {
    expect(partitionValueFromPath(type, raw)).toEqual(value);
  });

  it.each<IcebergType>(['string', 'long', 'date', 'decimal(9,2)'])(
    'Hive null marker → null for %s',
    (type) => {
      expect(partitionValueFromPath(type, HIVE_NULL)).toBeNull();
    },
  );

  const refused: Array<[IcebergType, string, RegExp]> = [
    ['int', '2147483648', /"2147483648" is not a valid int: outside the 32-bit range/],
    ['long', '9223372036854775808', /outside the 64-bit range/],
    ['long', '1e3', /not an integer/],
    ['date', '2023-02-30', /calendar date/],
    ['boolean', 'yes', /expected true or false/],
    ['decimal(9,2)', '1.234', /at most 2 fraction digits/],
    ['decimal(3,1)', '123.4', /more than 3 digits/],
    ['string', 'bad%zz', /malformed %-escape/],
    ['double', '1.5', /type double is not supported from paths/],
    ['timestamp', '2024-01-01T00:00:00', /type timestamp is not supported/],
    [{ type: 'struct', fields: [] }, 'x', /type struct is not supported/],
  ];
  it.each(refused)('refuses %s %s', (type, raw, message) => {
    expect(() => partitionValueFromPath(type, raw)).toThrow(message);
  });

  it('values serialise as Iceberg single values directly', () => {
    expect(
      Buffer.from(toSingleValue('date', partitionValueFromPath('date', '2017-11-16'))).toString('hex'),
    ).toBe('4e440000');
    expect(
      Buffer.from(toSingleValue('decimal(9,2)', partitionValueFromPath('decimal(9,2)', '1.28'))).toString(
        'hex',
      ),
    ).toBe('0080');
    expect(Buffer.from(toSingleValue('long', partitionValueFromPath('long', '1'))).toString('hex')).toBe(
      '0100000000000000',
    );
  });
});

describe('partitionValueToJson / partitionValueFromJson', () => {
  const cases: Array<[PrimitiveType, unknown, unknown]> = [
    ['string', 'x/y', 'x/y'],
    ['long', 42, 42],
    ['long', 9223372036854775807n, '9223372036854775807'],
    ['long', 5n, 5],
    ['int', -3, -3],
    ['date', 17486, '2017-11-16'],
    ['date', -1, '1969-12-31'],
    ['boolean', true, true],
    ['decimal(9,2)', 1420n, '14.20'],
    ['decimal(9,2)', -5n, '-0.05'],
    ['decimal(5,0)', 7n, '7'],
    ['string', null, null],
  ];
  it.each(cases)('%s %s → %s and back', (type, value, json) => {
    const written = partitionValueToJson(type, value);
    expect(written).toBe(json);
    const back = partitionValueFromJson(type, written as string | number | boolean | null);
    expect(typeof back === 'bigint' || typeof value === 'bigint' ? BigInt(back as bigint) : back).toEqual(
      typeof back === 'bigint' || typeof value === 'bigint' ? BigInt(value as bigint) : value,
    );
  });

  it('refuses a value of the wrong shape', () => {
    expect(() => partitionValueToJson('date', '2017-11-16')).toThrow(/as a date partition value/);
  });
});
