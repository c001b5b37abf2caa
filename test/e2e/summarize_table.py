"""Reads an Iceberg table with PyIceberg and prints what an end-to-end test compares:
row count, the sorted ids, per-column non-null counts, schema column names, data file paths.

    summarize_table.py <metadata location> [s3 endpoint]
"""

import json
import sys

from pyiceberg.table import StaticTable

location = sys.argv[1]
properties = {}
if len(sys.argv) > 2:
    properties = {
        "s3.endpoint": sys.argv[2],
        "s3.access-key-id": "test",
        "s3.secret-access-key": "test",
        "s3.region": "us-east-1",
        "s3.path-style-access": "true",
    }
table = StaticTable.from_metadata(location, properties)
arrow = table.scan().to_arrow()
files = [task.file.file_path for task in table.scan().plan_files()]
print(
    json.dumps(
        {
            "rows": arrow.num_rows,
            "ids": sorted(arrow.column("id").to_pylist()),
            "non_null": {name: arrow.num_rows - arrow.column(name).null_count for name in arrow.column_names},
            "columns": [field.name for field in table.schema().fields],
            "files": sorted(files),
            "snapshots": len(table.metadata.snapshots),
        }
    )
)
