"""Another engine writing to a table astha also writes: PyIceberg appends rows through a
Hadoop-style catalog (the table's own `metadata/v<N>.metadata.json` files and
`version-hint.text`, as Spark's HadoopCatalog keeps them), on a local warehouse.

    foreign_append.py < {"op": "append", "location": "/abs/ns/table", "rows": [{...}, ...]}
    foreign_append.py < {"op": "parquet", "files": [{"path": "/abs/file.parquet", "rows": [{...}]}, ...]}

`append` loads the newest version, appends the rows (decimal columns given as strings) with
PyIceberg's own writer and commits v<N+1> only if no one else wrote it (exclusive create), then
prints {"metadata", "data_files"}. `parquet` writes plain Parquet files (id long, amount
decimal(18,4), no field ids) as a user would land them, and prints {"paths"}.
"""

import json
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.catalog import MetastoreCatalog
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.io import load_file_io
from pyiceberg.serializers import FromInputFile, ToOutputFile
from pyiceberg.table import CommitTableResponse, Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlite_catalog import SqliteCatalog  # noqa: E402

LEDGER = pa.schema([("id", pa.int64()), ("amount", pa.decimal128(18, 4))])


def newest_version(metadata_dir: Path) -> int:
    hint = metadata_dir / "version-hint.text"
    version = int(hint.read_text().strip()) if hint.exists() else 1
    while (metadata_dir / f"v{version + 1}.metadata.json").exists():
        version += 1
    return version


class HadoopStyleCatalog(SqliteCatalog):
    """Only what an append needs: load by location, commit v<N+1> with an exclusive create (the
    rest stays SqliteCatalog's, unused; its database is never opened)."""

    def __init__(self, name: str):
        MetastoreCatalog.__init__(self, name)

    def load_table(self, identifier) -> Table:  # noqa: ANN001
        location = Path(identifier[1])
        path = location / "metadata" / f"v{newest_version(location / 'metadata')}.metadata.json"
        io = load_file_io(self.properties, str(path))
        metadata = FromInputFile.table_metadata(io.new_input(str(path)))
        return Table(identifier=identifier, metadata=metadata, metadata_location=str(path), io=io, catalog=self)

    def commit_table(self, table, requirements, updates) -> CommitTableResponse:  # noqa: ANN001
        current = self.load_table(table.name())
        for requirement in requirements:
            requirement.validate(current.metadata)
        staged = self._update_and_stage_table(current, table.name(), requirements, updates)
        metadata_dir = Path(current.metadata_location).parent
        version = int(Path(current.metadata_location).name[1:].split(".")[0]) + 1
        target = metadata_dir / f"v{version}.metadata.json"
        staging = metadata_dir / f".foreign-v{version}.metadata.json"
        ToOutputFile.table_metadata(staged.metadata, current.io.new_output(str(staging)), overwrite=True)
        try:
            # A hard link fails when the target exists: the conditional create of the commit.
            target.hardlink_to(staging)
        except FileExistsError as error:
            raise CommitFailedException(f"v{version} was written by another commit") from error
        finally:
            staging.unlink()
        (metadata_dir / "version-hint.text").write_text(str(version))
        return CommitTableResponse(metadata=staged.metadata, metadata_location=str(target))


def typed(rows: list[dict], schema: pa.Schema) -> pa.Table:
    decimals = {f.name for f in schema if pa.types.is_decimal(f.type)}
    converted = [{k: Decimal(v) if k in decimals and v is not None else v for k, v in row.items()} for row in rows]
    return pa.Table.from_pylist(converted, schema=schema)


def main() -> None:
    request = json.load(sys.stdin)
    if request["op"] == "parquet":
        for file in request["files"]:
            pq.write_table(typed(file["rows"], LEDGER), file["path"])
        print(json.dumps({"paths": [file["path"] for file in request["files"]]}))
        return
    catalog = HadoopStyleCatalog("foreign")
    table = catalog.load_table(("foreign", request["location"]))
    table.append(typed(request["rows"], table.schema().as_arrow()))
    snapshot = table.current_snapshot()
    files = [task.file.file_path for task in table.scan(snapshot_id=snapshot.snapshot_id).plan_files()]
    print(json.dumps({"metadata": table.metadata_location, "data_files": files}))


if __name__ == "__main__":
    main()
