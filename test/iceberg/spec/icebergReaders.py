"""Helpers for the end-to-end reader test: real Parquet files in, real Iceberg readers out.

  icebergReaders.py parquet <dir>     writes three Parquet files with Iceberg field ids
                                      (pyarrow), prints their facts as JSON
  icebergReaders.py scan <metadata>   scans the table with PyIceberg (full + filtered scan)
  icebergReaders.py duckdb <metadata> scans it with DuckDB's iceberg extension
"""
import json
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq


def field(name, type_, field_id, nullable=True):
    return pa.field(name, type_, nullable=nullable, metadata={b"PARQUET:field_id": str(field_id).encode()})


SCHEMA = pa.schema([field("id", pa.int64(), 1, nullable=False), field("region", pa.string(), 2)])
FILES = {"eu-0": ("eu", range(0, 100)), "eu-1": ("eu", range(100, 150)), "us-0": ("us", range(150, 160))}


def row_group_start(row_group):
    first = row_group.column(0)
    dictionary = first.dictionary_page_offset
    return min(dictionary, first.data_page_offset) if dictionary is not None else first.data_page_offset


def write_parquet(directory):
    out = []
    for name, (region, ids) in FILES.items():
        path = os.path.join(directory, f"{name}.parquet")
        table = pa.table({"id": pa.array(list(ids), pa.int64()), "region": pa.array([region] * len(ids))}, schema=SCHEMA)
        pq.write_table(table, path)
        meta = pq.ParquetFile(path).metadata
        out.append(
            {
                "path": path,
                "region": region,
                "rows": meta.num_rows,
                "size": os.path.getsize(path),
                "min": min(ids),
                "max": max(ids),
                "offsets": [row_group_start(meta.row_group(i)) for i in range(meta.num_row_groups)],
            }
        )
    print(json.dumps(out))


def scan(metadata):
    from pyiceberg.expressions import EqualTo
    from pyiceberg.table import StaticTable

    table = StaticTable.from_metadata(metadata)
    full = table.scan().to_arrow()
    filtered_scan = table.scan(row_filter=EqualTo("region", "us"))
    filtered = filtered_scan.to_arrow()
    result = {
        "pyiceberg": {
            "rows": full.num_rows,
            "sum": sum(full.column("id").to_pylist()),
            "files": len(list(table.scan().plan_files())),
            "filtered_rows": filtered.num_rows,
            "filtered_files": len(list(filtered_scan.plan_files())),
        }
    }
    print(json.dumps(result))


def duckdb_scan(metadata):
    """Not run by the tests: DuckDB's iceberg extension needs the avro extension too
    (duckdb-ext-avro), which the test virtualenv does not install yet."""
    import duckdb

    con = duckdb.connect()
    for ext in ("avro", "iceberg"):
        con.execute(f"LOAD '{extension_path(ext)}'")
    rows, total = con.execute(f"SELECT count(*), sum(id) FROM iceberg_scan('{metadata}')").fetchone()
    print(json.dumps({"rows": rows, "sum": int(total)}))


def extension_path(name):
    for entry in sys.path:
        path = os.path.join(entry, "duckdb_ext", "extensions", "v1.4.4", "linux_amd64", f"{name}.duckdb_extension")
        if os.path.exists(path):
            return path
    raise SystemExit(f"DuckDB extension {name} is not installed")


if __name__ == "__main__":
    {"parquet": write_parquet, "scan": scan, "duckdb": duckdb_scan}[sys.argv[1]](sys.argv[2])
