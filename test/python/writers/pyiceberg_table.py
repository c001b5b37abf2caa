"""Makes an Iceberg table with PyIceberg itself from existing Parquet files (`add_files`), on a
SQLite catalog in a local warehouse. Used to check the readers against a table no one here
wrote, and by bench/iceberg.ts as the PyIceberg side of the comparison.

    pyiceberg_table.py < {"warehouse": "/dir", "catalog": "/dir/catalog.db", "namespace": "ns",
                          "table": "t", "files": ["/abs/a.parquet", ...], "commits": 1,
                          "partition_by": ["col", ...]}

The schema comes from the first file. Files are added in `commits` equal batches, one
add_files call (one snapshot) each. Prints {"metadata": <location>, "create_seconds",
"add_files_seconds", "snapshots", "data_files"}.
"""

import json
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlite_catalog import SqliteCatalog  # noqa: E402


def utc_schema(schema: pa.Schema) -> pa.Schema:
    """PyIceberg refuses Arrow zones other than UTC; Parquet stores every zoned timestamp as a UTC
    instant anyway, so the table column is timestamptz either way."""
    fields = [
        f.with_type(pa.timestamp(f.type.unit, tz="UTC")) if pa.types.is_timestamp(f.type) and f.type.tz else f
        for f in schema
    ]
    return pa.schema(fields)


def batches(items: list[str], count: int) -> list[list[str]]:
    size = -(-len(items) // max(1, count))
    return [items[i : i + size] for i in range(0, len(items), size)]


def main() -> None:
    request = json.load(sys.stdin)
    files: list[str] = request["files"]
    catalog = SqliteCatalog("bench", request["catalog"], warehouse=Path(request["warehouse"]).as_uri())
    namespace = request.get("namespace", "ns")
    if not catalog.namespace_exists(namespace):
        catalog.create_namespace(namespace)
    started = time.perf_counter()
    arrow_schema = utc_schema(pq.ParquetFile(files[0]).schema_arrow)
    table = catalog.create_table(f"{namespace}.{request['table']}", arrow_schema)
    if request.get("partition_by"):
        with table.update_spec() as update:
            for column in request["partition_by"]:
                update.add_identity(column)
    created = time.perf_counter()
    for batch in batches(files, request.get("commits", 1)):
        table.add_files([Path(f).as_uri() for f in batch])
    finished = time.perf_counter()
    table = catalog.load_table(f"{namespace}.{request['table']}")
    result = {
        "metadata": table.metadata_location,
        "create_seconds": created - started,
        "add_files_seconds": finished - created,
        "snapshots": len(table.metadata.snapshots),
        "data_files": len(list(table.scan().plan_files())),
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
