"""Finds Iceberg tables BY NAME through PyIceberg's Glue catalog and scans them; prints ONE JSON object.

    read_glue_table.py < {"glue": {endpoint, region, access_key_id, secret_access_key},
                          "s3": {...as read_table.py}, "tables": [{"database", "table"}, ...]}

Each result: rows and checksum (canonical.py), the metadata_location PyIceberg loaded, and the
schema it saw; a table that cannot be loaded gives {"error": ...} and the others still run.
"""

import json
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import canonical  # noqa: E402
from read_table import pyiceberg_properties  # noqa: E402


def glue_catalog(glue: dict, s3: dict):  # noqa: ANN201 - a pyiceberg GlueCatalog
    from pyiceberg.catalog.glue import GlueCatalog

    return GlueCatalog(
        "astha-glue",
        **{
            "glue.endpoint": glue["endpoint"],
            "glue.region": glue["region"],
            "glue.access-key-id": glue["access_key_id"],
            "glue.secret-access-key": glue["secret_access_key"],
            **pyiceberg_properties(s3),
        },
    )


def read(catalog, database: str, name: str) -> dict:  # noqa: ANN001
    table = catalog.load_table((database, name))
    data = table.scan().to_arrow()
    return {
        **canonical.summary(data),
        "metadata_location": table.metadata_location,
        "schema": [{"name": f.name, "type": str(f.field_type)} for f in table.schema().fields],
    }


def main() -> None:
    request = json.load(sys.stdin)
    catalog = glue_catalog(request["glue"], request["s3"])
    results = []
    for entry in request["tables"]:
        try:
            results.append(read(catalog, entry["database"], entry["table"]))
        except Exception as error:  # noqa: BLE001 - reported per table
            results.append({"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()})
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
