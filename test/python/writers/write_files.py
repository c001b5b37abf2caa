"""Writes Parquet files the way users' tools do (pyarrow, no Parquet field ids) and reports
what was written, computed here from the written data and never from astha: per file its
row count and checksum (the definition readers use, test/python/readers/canonical.py), also
for each requested row filter.

    write_files.py < {"root": "/dir", "files": [...], "filters": [...]}

A file entry: {"dir": "ns/t/data", "name": "f.parquet", "partition": [[col, type, value], ...],
"profile": "types" | "nanos" | "simple", "rows": N, "seed": S, "row_group_size": R,
"flavor": "default" | "legacy" | "spark", "compression": "snappy" | "gzip" | "zstd" | "brotli" | "lz4" | "none",
"data_page_version": "1.0" | "2.0", "page_checksum": bool}. The file
goes to root/dir/col=value/.../name; partition types are long, date or string (value null is
Hive's __HIVE_DEFAULT_PARTITION__), and the partition columns count as columns of every row,
as a reader of the table sees them. An entry without "profile" is an existing file (written by
another writer) that is only read and summed.

Prints {"files": [{"path", "rows", "checksum", "filters": [{"rows", "checksum"}]}],
"total": {...}}.
"""

import json
import sys
from pathlib import Path
from urllib.parse import quote

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "readers"))

import canonical  # noqa: E402
import filters  # noqa: E402
import profiles  # noqa: E402

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
# How other tools lay files out: "legacy" is the pre-2.x list shape (`list<item>`, as older
# pyarrow, Hive and Spark write it), "spark" adds INT96 timestamps and Parquet 1.0 annotations.
FLAVORS: dict[str, dict] = {
    "default": {},
    "legacy": {"use_compliant_nested_type": False},
    "spark": {"use_compliant_nested_type": False, "use_deprecated_int96_timestamps": True, "version": "1.0"},
}
PARTITION_TYPES = {"long": pa.int64(), "date": pa.date32(), "string": pa.string()}


def relative_path(entry: dict) -> str:
    segments = [entry["dir"].strip("/")]
    for column, _type, value in entry.get("partition", []):
        segments.append(f"{column}={HIVE_NULL if value is None else quote(str(value), safe='')}")
    segments.append(entry["name"])
    return "/".join(segments)


def with_partition_columns(table: pa.Table, partition: list) -> pa.Table:
    """The table as readers see it: identity partition values as typed constant columns."""
    for column, type_name, value in partition:
        arrow_type = PARTITION_TYPES[type_name]
        scalar = pa.scalar(value).cast(arrow_type) if value is not None else pa.scalar(None, arrow_type)
        table = table.append_column(column, pa.array([scalar.as_py()] * table.num_rows, arrow_type))
    return table


def write_one(root: Path, entry: dict) -> pa.Table:
    path = root / relative_path(entry)
    if "profile" not in entry:
        # ParquetFile reads just the file: read_table on a path would add Hive columns itself.
        return pq.ParquetFile(path).read()
    data = profiles.build(entry["profile"], entry["rows"], entry.get("seed", 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    pages = {
        "compression": entry.get("compression", "snappy"),
        "data_page_version": entry.get("data_page_version", "1.0"),
        "write_page_checksum": entry.get("page_checksum", False),
    }
    pq.write_table(
        data, path, row_group_size=entry.get("row_group_size"), **pages, **FLAVORS[entry.get("flavor", "default")]
    )
    return data


def summarise(table: pa.Table, row_filters: list[dict]) -> dict:
    return {
        **canonical.summary(table),
        "filters": [canonical.summary(table.filter(filters.arrow_mask(f, table))) for f in row_filters],
    }


def add(total: dict, part: dict) -> dict:
    return {
        "rows": total["rows"] + part["rows"],
        "checksum": str((int(total["checksum"]) + int(part["checksum"])) & canonical.MASK),
    }


def main() -> None:
    request = json.load(sys.stdin)
    root = Path(request["root"])
    row_filters = request.get("filters", [])
    files = []
    total = {"rows": 0, "checksum": "0", "filters": [{"rows": 0, "checksum": "0"} for _ in row_filters]}
    for entry in request["files"]:
        logical = with_partition_columns(write_one(root, entry), entry.get("partition", []))
        summary = summarise(logical, row_filters)
        files.append({"path": relative_path(entry), **summary})
        total = {**add(total, summary), "filters": [add(t, s) for t, s in zip(total["filters"], summary["filters"])]}
    json.dump({"files": files, "total": total}, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
