"""Reads Iceberg tables the way users do, with readers no one in this project wrote, and prints
what they saw as ONE JSON object.

    read_table.py --mode pyiceberg|duckdb [--filter JSON] [--s3 JSON] <metadata.json location>
    read_table.py --batch < {"s3": {...}, "reads": [{"metadata", "mode", "filter"?}, ...]}

A location is s3://bucket/key (then --s3 gives endpoint, region and keys), a local path or a
file:// URI. Each result: rows, checksum (see canonical.py), schema [{name, type}], snapshots,
and for PyIceberg planned_files, the data files its scan plan keeps for the filter (so tests
can see partition pruning). A read that fails gives {"error": ...} and the others still run:
one Python start-up serves many tables.
"""

import argparse
import json
import os
import sys
import traceback
from pathlib import Path
from urllib.parse import unquote, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

import canonical  # noqa: E402
import check_metrics  # noqa: E402
import filters  # noqa: E402

# DuckDB's iceberg extension needs avro; the PyPI packages duckdb-ext-<name> put each one under
# duckdb_ext/extensions/v<version>/<platform>/. Extensions cannot be downloaded here.
DUCKDB_EXTENSIONS = ("avro", "httpfs", "iceberg")


def pyiceberg_properties(s3: dict | None) -> dict[str, str]:
    if not s3:
        return {}
    return {
        "s3.endpoint": s3["endpoint"],
        "s3.region": s3["region"],
        "s3.access-key-id": s3["access_key_id"],
        "s3.secret-access-key": s3["secret_access_key"],
        "s3.force-virtual-addressing": "false",
    }


def read_pyiceberg(location: str, row_filter: dict | None, s3: dict | None) -> dict:
    from pyiceberg.expressions import AlwaysTrue
    from pyiceberg.table import StaticTable

    table = StaticTable.from_metadata(location, pyiceberg_properties(s3))
    expression = filters.pyiceberg_expression(row_filter) if row_filter else AlwaysTrue()
    scan = table.scan(row_filter=expression)
    planned = list(scan.plan_files())
    data = scan.to_arrow()
    return {
        **canonical.summary(data),
        "schema": [{"name": f.name, "type": str(f.field_type)} for f in table.schema().fields],
        "snapshots": len(table.metadata.snapshots),
        "manifests": len(snapshot.manifests(table.io)) if (snapshot := table.current_snapshot()) else 0,
        "planned_files": len(planned),
        "planned_paths": sorted(task.file.file_path for task in planned),
    }


def extension_dirs() -> list[Path]:
    import duckdb
    import duckdb_ext

    version = f"v{duckdb.__version__}"
    found: list[Path] = []
    extra = os.environ.get("ASTHA_DUCKDB_EXTENSION_DIR")
    if extra:
        found.append(Path(extra))
    for root in duckdb_ext.__path__:
        for platform_dir in sorted((Path(root) / "extensions" / version).glob("*")):
            found.append(platform_dir)
    return found


def duckdb_connection(s3: dict | None):  # noqa: ANN201 - a duckdb connection
    import duckdb

    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    dirs = extension_dirs()
    for name in DUCKDB_EXTENSIONS:
        path = next((d / f"{name}.duckdb_extension" for d in dirs if (d / f"{name}.duckdb_extension").exists()), None)
        if path is None:
            raise RuntimeError(
                f"DuckDB extension {name!r} is not installed: add the PyPI package duckdb-ext-{name}"
                f" matching duckdb {duckdb.__version__} (searched {[str(d) for d in dirs]})"
            )
        con.execute(f"LOAD '{path}'")
    con.execute("SET TimeZone = 'UTC'")
    if s3:
        endpoint = urlparse(s3["endpoint"])
        settings = {
            "s3_endpoint": endpoint.netloc,
            "s3_use_ssl": endpoint.scheme == "https",
            "s3_url_style": "path",
            "s3_region": s3["region"],
            "s3_access_key_id": s3["access_key_id"],
            "s3_secret_access_key": s3["secret_access_key"],
        }
        for key, value in settings.items():
            con.execute(f"SET {key} = ?", [value])
    return con


def duckdb_location(location: str) -> str:
    """DuckDB takes s3:// URLs and local paths; a file:// URI becomes its path."""
    if location.startswith("file:"):
        return unquote(urlparse(location).path)
    return location


def uuids_as_bytes(data, columns: set[str]):  # noqa: ANN001, ANN201 - pyarrow tables
    """DuckDB hands UUIDs to Arrow as text; PyIceberg as 16 bytes. Compare them as bytes."""
    import uuid

    import pyarrow as pa

    for name in columns:
        index = data.schema.get_field_index(name)
        values = [None if v is None else uuid.UUID(v).bytes for v in data.column(index).to_pylist()]
        data = data.set_column(index, name, pa.array(values, pa.binary(16)))
    return data


def read_duckdb(con, location: str, row_filter: dict | None) -> dict:  # noqa: ANN001
    where, params = filters.duckdb_where(row_filter) if row_filter else ("TRUE", [])
    source = duckdb_location(location)
    relation = "iceberg_scan(?)"
    data = con.execute(f"SELECT * FROM {relation} WHERE {where}", [source, *params]).fetch_arrow_table()
    described = con.execute(f"DESCRIBE SELECT * FROM {relation}", [source]).fetchall()
    data = uuids_as_bytes(data, {row[0] for row in described if row[1] == "UUID"})
    snapshots = con.execute("SELECT count(*) FROM iceberg_snapshots(?)", [source]).fetchone()
    return {
        **canonical.summary(data),
        "schema": [{"name": row[0], "type": row[1]} for row in described],
        "snapshots": snapshots[0] if snapshots else 0,
    }


def report_failure(result: dict, error: Exception) -> None:
    """A read that failed, as data: the error and where it came from; the other reads still run."""
    result["error"] = f"{type(error).__name__}: {error}"
    result["trace"] = traceback.format_exc(limit=6)


def run(reads: list[dict], s3: dict | None) -> list[dict]:
    results: list[dict] = []
    con = None
    for read in reads:
        mode, location, row_filter = read["mode"], read["metadata"], read.get("filter")
        result: dict = {"mode": mode, "metadata": location, "filter": row_filter}
        try:
            if mode == "pyiceberg":
                result.update(read_pyiceberg(location, row_filter, s3))
            elif mode == "metrics":
                from pyiceberg.table import StaticTable

                result.update(check_metrics.check_table(StaticTable.from_metadata(location, pyiceberg_properties(s3))))
            elif mode == "duckdb":
                if con is None:
                    con = duckdb_connection(s3)
                result.update(read_duckdb(con, location, row_filter))
            else:
                raise ValueError(f"unknown mode {mode!r}: use pyiceberg, duckdb or metrics")
        except Exception as error:  # noqa: BLE001 - reported per read, as data
            report_failure(result, error)
        results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("metadata", nargs="?")
    parser.add_argument("--mode", choices=("pyiceberg", "duckdb", "metrics"))
    parser.add_argument("--filter", type=json.loads)
    parser.add_argument("--s3", type=json.loads)
    parser.add_argument("--batch", action="store_true", help="read a batch request from stdin")
    args = parser.parse_args()
    if args.batch:
        request = json.load(sys.stdin)
        output: dict = {"results": run(request["reads"], request.get("s3"))}
    else:
        if not args.metadata or not args.mode:
            parser.error("give a metadata location and --mode, or --batch")
        output = run([{"mode": args.mode, "metadata": args.metadata, "filter": args.filter}], args.s3)[0]
    json.dump(output, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
