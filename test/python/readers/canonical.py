"""Order-independent checksum of a table's values, identical whichever reader produced the Arrow data.

Every row becomes one canonical JSON object {column: value} (sorted keys, nulls left out so a
column a file lacks and a null column agree), hashed with SHA-256; the first 8 bytes as an
unsigned integer are summed mod 2^64. Sums make the checksum independent of row and file order
and additive, so per-file checksums of what was written add up to the table's.

Values are canonicalised by their Arrow type family, never by Arrow's exact width or unit, so
PyIceberg (Iceberg types as Arrow) and DuckDB (its own Arrow export) agree:
- integers of any width -> decimal digits; floats -> repr, "NaN", "inf", "-inf";
- decimals -> the number with trailing zeros removed (a wrong scale changes the value);
- date -> "d<days>"; time -> "t<micros>"; timestamp -> "ts<nanos since epoch>" plus "Z" when
  the type carries a zone (any zone: Arrow stores UTC instants);
- strings as they are; binary, fixed and uuid -> "0x<hex>";
- lists in order; structs by field name; maps as [key, value] pairs sorted (maps are unordered).
"""

import datetime
import decimal
import hashlib
import json

import pyarrow as pa
import pyarrow.compute as pc

MASK = (1 << 64) - 1
_UNIT_NANOS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}


def _plain_type(t: pa.DataType) -> pa.DataType:
    """The type `t` is cast to before to_pylist: temporal values become integers (no datetime
    objects, which cannot hold nanoseconds), dictionaries their values."""
    if pa.types.is_dictionary(t):
        return _plain_type(t.value_type)
    if pa.types.is_timestamp(t) or pa.types.is_time64(t) or pa.types.is_date64(t):
        return pa.int64()
    if pa.types.is_time32(t) or pa.types.is_date32(t):
        return pa.int32()
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return pa.list_(pa.field("element", _plain_type(t.value_type)))
    if pa.types.is_map(t):
        return pa.map_(_plain_type(t.key_type), _plain_type(t.item_type))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _plain_type(f.type)) for f in t])
    if pa.types.is_string_view(t) or pa.types.is_large_string(t):
        return pa.string()
    if pa.types.is_binary_view(t) or pa.types.is_large_binary(t):
        return pa.binary()
    return t


def _value_type(t: pa.DataType) -> pa.DataType:
    return _value_type(t.value_type) if pa.types.is_dictionary(t) else t


def _canon(t: pa.DataType, v: object) -> object:
    """Canonical JSON-able form of one (plain, see _plain_type) value of original type `t`."""
    if v is None:
        return None
    t = _value_type(t)
    if pa.types.is_boolean(t):
        return bool(v)
    if pa.types.is_integer(t):
        return str(v)
    if pa.types.is_floating(t):
        return _float(float(v))  # type: ignore[arg-type]
    if pa.types.is_decimal(t):
        return _decimal(v)  # type: ignore[arg-type]
    if pa.types.is_date32(t):
        return f"d{v}"
    if pa.types.is_date64(t):
        return f"d{int(v) // 86_400_000}"  # type: ignore[call-overload]
    if pa.types.is_time32(t) or pa.types.is_time64(t):
        return f"t{int(v) * _UNIT_NANOS[t.unit] // 1000}"  # type: ignore[call-overload]
    if pa.types.is_timestamp(t):
        return f"ts{int(v) * _UNIT_NANOS[t.unit]}{'Z' if t.tz else ''}"  # type: ignore[call-overload]
    if isinstance(v, (bytes, bytearray)):
        return "0x" + bytes(v).hex()
    if isinstance(v, str):
        return v
    if pa.types.is_map(t):
        pairs = [[_canon(t.key_type, k), _canon(t.item_type, x)] for k, x in v]  # type: ignore[union-attr]
        return sorted(pairs, key=lambda p: json.dumps(p, sort_keys=True))
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return [_canon(t.value_type, x) for x in v]  # type: ignore[union-attr]
    if pa.types.is_struct(t):
        out = {f.name: _canon(f.type, v.get(f.name)) for f in t}  # type: ignore[union-attr]
        return {k: x for k, x in out.items() if x is not None}
    if isinstance(v, (datetime.date, datetime.datetime, datetime.time)):
        raise TypeError(f"unexpected temporal value for Arrow type {t}")
    raise TypeError(f"no canonical form for Arrow type {t}")


def _float(f: float) -> str:
    if f != f:
        return "NaN"
    return repr(f)


def _decimal(d: decimal.Decimal) -> str:
    if d.is_nan():
        return "NaN"
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _storage(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Extension columns (arrow.uuid) as their storage (fixed 16 bytes): readers differ in
    whether they hand out the extension type."""
    if not isinstance(column.type, pa.BaseExtensionType):
        return column
    if isinstance(column, pa.ChunkedArray):
        return pa.chunked_array([chunk.storage for chunk in column.chunks], column.type.storage_type)
    return column.storage


def _column_values(column: pa.ChunkedArray | pa.Array) -> list[object]:
    column = _storage(column)
    original = column.type
    plain = _plain_type(original)
    if plain != original:
        if pa.types.is_dictionary(original):
            column = pc.cast(column, _value_type(original))
        column = column.cast(plain)
    return [_canon(original, v) for v in column.to_pylist()]


def row_strings(table: pa.Table) -> list[str]:
    """One canonical JSON string per row of `table`."""
    names = table.column_names
    columns = [_column_values(table.column(i)) for i in range(table.num_columns)]
    rows: list[str] = []
    for r in range(table.num_rows):
        obj = {names[c]: columns[c][r] for c in range(len(names)) if columns[c][r] is not None}
        rows.append(json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")))
    return rows


def row_hash(row: str) -> int:
    return int.from_bytes(hashlib.sha256(row.encode("utf-8")).digest()[:8], "big")


def checksum(table: pa.Table) -> int:
    """Sum of row hashes mod 2^64."""
    total = 0
    for row in row_strings(table):
        total = (total + row_hash(row)) & MASK
    return total


def summary(table: pa.Table) -> dict[str, object]:
    """Row count and checksum (as a decimal string: JSON numbers lose precision past 2^53)."""
    return {"rows": table.num_rows, "checksum": str(checksum(table))}
