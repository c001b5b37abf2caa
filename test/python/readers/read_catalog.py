"""Reads astha's tables through its Iceberg REST catalog, the way users do, and prints what
it saw as ONE JSON object.

    read_catalog.py < {"uri", "s3"?: {...}, "reads": [{"mode", "table"?, "filter"?}, ...]}

Modes: "list" (PyIceberg RestCatalog: namespaces and each namespace's tables), "pyiceberg"
(load_table + scan, optionally filtered), "duckdb" (ATTACH ... TYPE iceberg, SELECT by name).
Each scan result: rows and checksum (canonical.py), snapshots, and for PyIceberg the data files
its plan keeps. PyIceberg gets only the S3 keys: the endpoint must come from the catalog's config.
One failed read gives {"error": ...} and the others still run.
"""

import functools
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import canonical  # noqa: E402
import filters  # noqa: E402
from read_table import duckdb_connection, report_failure, uuids_as_bytes  # noqa: E402


def rest_catalog(uri: str, s3: dict | None):  # noqa: ANN201 - a pyiceberg catalog
    from pyiceberg.catalog import load_catalog

    properties = {"type": "rest", "uri": uri}
    if s3:
        properties |= {"s3.access-key-id": s3["access_key_id"], "s3.secret-access-key": s3["secret_access_key"]}
    return load_catalog("astha", **properties)


def list_catalog(catalog) -> dict:  # noqa: ANN001
    namespaces = [list(ns) for ns in catalog.list_namespaces()]
    tables = {".".join(ns): sorted(".".join(t) for t in catalog.list_tables(tuple(ns))) for ns in namespaces}
    return {"namespaces": namespaces, "tables": tables}


def read_pyiceberg(catalog, name: str, row_filter: dict | None) -> dict:  # noqa: ANN001
    from pyiceberg.expressions import AlwaysTrue

    table = catalog.load_table(name)
    expression = filters.pyiceberg_expression(row_filter) if row_filter else AlwaysTrue()
    scan = table.scan(row_filter=expression)
    planned = list(scan.plan_files())
    return {
        **canonical.summary(scan.to_arrow()),
        "snapshots": len(table.metadata.snapshots),
        "metadata_location": table.metadata_location,
        "planned_files": len(planned),
    }


def read_duckdb(con, uri: str, name: str, row_filter: dict | None) -> dict:  # noqa: ANN001
    if not getattr(read_duckdb, "attached", False):
        con.execute(f"ATTACH 'astha' AS astha (TYPE iceberg, ENDPOINT '{uri}', AUTHORIZATION_TYPE 'none')")
        read_duckdb.attached = True
    where, params = filters.duckdb_where(row_filter) if row_filter else ("TRUE", [])
    relation = f"astha.{name}"
    data = con.execute(f"SELECT * FROM {relation} WHERE {where}", params).fetch_arrow_table()
    described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    data = uuids_as_bytes(data, {row[0] for row in described if row[1] == "UUID"})
    return canonical.summary(data)


def run(request: dict) -> list[dict]:
    uri, s3 = request["uri"], request.get("s3")
    catalog = rest_catalog(uri, s3)
    # DuckDB takes no S3 settings from a catalog: it gets them the way users give them.
    duckdb = functools.cache(lambda: duckdb_connection(s3))
    readers = {
        "list": lambda read: list_catalog(catalog),
        "pyiceberg": lambda read: read_pyiceberg(catalog, read["table"], read.get("filter")),
        "duckdb": lambda read: read_duckdb(duckdb(), uri, read["table"], read.get("filter")),
    }
    results: list[dict] = []
    for read in request["reads"]:
        result: dict = {"mode": read["mode"], "table": read.get("table"), "filter": read.get("filter")}
        try:
            result.update(readers[read["mode"]](read))
        except Exception as error:  # noqa: BLE001 - reported per read, as data
            report_failure(result, error)
        results.append(result)
    return results


if __name__ == "__main__":
    json.dump({"results": run(json.load(sys.stdin))}, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
