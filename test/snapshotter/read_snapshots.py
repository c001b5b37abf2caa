"""Reads every snapshot of an astha table with PyIceberg (time travel), in one process.

  read_snapshots.py <metadata-location> [<s3 access JSON>]

Prints JSON: {"snapshots": [{"id": "<snapshot id>", "rows": n, "sum": sum of id}, ...],
"current": "<id>"} in the order the metadata lists the snapshots.
"""
import json
import sys

from pyiceberg.table import StaticTable


def main(metadata, s3=None):
    props = {}
    if s3:
        access = json.loads(s3)
        props = {
            "s3.endpoint": access["endpoint"],
            "s3.region": access["region"],
            "s3.access-key-id": access["access_key_id"],
            "s3.secret-access-key": access["secret_access_key"],
        }
    table = StaticTable.from_metadata(metadata, props)
    out = []
    for snapshot in table.metadata.snapshots:
        arrow = table.scan(snapshot_id=snapshot.snapshot_id, selected_fields=("id",)).to_arrow()
        ids = [v for v in arrow.column("id").to_pylist() if v is not None]
        out.append({"id": str(snapshot.snapshot_id), "rows": arrow.num_rows, "sum": sum(ids)})
    current = table.current_snapshot()
    print(json.dumps({"snapshots": out, "current": str(current.snapshot_id) if current else None}))


if __name__ == "__main__":
    main(*sys.argv[1:])
