"""Reads an astha table with PyIceberg (and DuckDB's iceberg extension for file: tables).

  readTable.py <metadata-location> [endpoint]

Prints JSON: rows, sum of `id`, the data files PyIceberg plans (each path once per plan
entry, so a duplicate shows up twice), the manifest count of the current snapshot, and the
DuckDB row count when asked (`ASTHA_DUCKDB=1`). With an endpoint, S3 goes to LocalStack.
"""
import json
import os
import sys

from pyiceberg.table import StaticTable


def duckdb_rows(metadata):
    import duckdb

    con = duckdb.connect()
    ext_dir = os.path.join(os.path.dirname(duckdb.__file__), "..", "duckdb_ext", "extensions", "v1.4.4", "linux_amd64")
    for ext in ("avro", "iceberg"):
        path = os.path.join(ext_dir, f"{ext}.duckdb_extension")
        if os.path.exists(path):
            con.execute(f"LOAD '{path}'")
    rows, total = con.execute(f"SELECT count(*), sum(id) FROM iceberg_scan('{metadata}')").fetchone()
    return {"rows": rows, "sum": int(total or 0)}


def main(metadata, endpoint=None):
    props = {}
    if endpoint:
        props = {
            "s3.endpoint": endpoint,
            "s3.access-key-id": "test",
            "s3.secret-access-key": "test",
            "s3.region": "us-east-1",
        }
    table = StaticTable.from_metadata(metadata, props)
    scan = table.scan()
    files = [task.file.file_path for task in scan.plan_files()]
    arrow = scan.to_arrow()
    snapshot = table.current_snapshot()
    manifests = snapshot.manifests(table.io) if snapshot else []
    out = {
        "rows": arrow.num_rows,
        "sum": sum(v for v in arrow.column("id").to_pylist() if v is not None) if arrow.num_rows else 0,
        "files": files,
        "manifests": len(manifests),
        "snapshots": len(table.metadata.snapshots),
        "summary": dict(snapshot.summary.additional_properties) if snapshot else {},
    }
    if os.environ.get("ASTHA_DUCKDB") == "1":
        out["duckdb"] = duckdb_rows(metadata)
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:])
