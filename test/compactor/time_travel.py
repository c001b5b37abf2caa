"""Reads an Iceberg table as of given snapshots with PyIceberg (`scan(snapshot_id=...)`).

stdin: {"metadata": "<metadata.json location>", "snapshots": ["<id>", ...]}
stdout: {"results": [{"snapshot": "<id>", "rows": n, "checksum": "..."} | {"snapshot": ..., "error": ...}]}
Checksums are canonical.py's, so they compare with read_table.py's.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python" / "readers"))

import canonical  # noqa: E402


def main() -> None:
    from pyiceberg.table import StaticTable

    request = json.load(sys.stdin)
    table = StaticTable.from_metadata(request["metadata"])
    results = []
    for snapshot in request["snapshots"]:
        try:
            data = table.scan(snapshot_id=int(snapshot)).to_arrow()
            results.append({"snapshot": snapshot, **canonical.summary(data)})
        except Exception as error:  # noqa: BLE001 - reported to the test
            results.append({"snapshot": snapshot, "error": repr(error)})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
