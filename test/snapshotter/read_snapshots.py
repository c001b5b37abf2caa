"""Reads every snapshot of an astha table with PyIceberg (time travel), in one process.

  read_snapshots.py <metadata-location>

Prints JSON: {"snapshots": [{"id": "<snapshot id>", "rows": n, "sum": sum of id}, ...],
"current": "<id>"} in the order the metadata lists the snapshots.
"""
import json
import sys

from pyiceberg.table import StaticTable


def main(metadata):
    table = StaticTable.from_metadata(metadata)
    out = []
    for snapshot in table.metadata.snapshots:
        arrow = table.scan(snapshot_id=snapshot.snapshot_id, selected_fields=("id",)).to_arrow()
        ids = [v for v in arrow.column("id").to_pylist() if v is not None]
        out.append({"id": str(snapshot.snapshot_id), "rows": arrow.num_rows, "sum": sum(ids)})
    current = table.current_snapshot()
    print(json.dumps({"snapshots": out, "current": str(current.snapshot_id) if current else None}))


if __name__ == "__main__":
    main(*sys.argv[1:])
