"""A PyIceberg catalog on a SQLite file, like PyIceberg's SqlCatalog, built on the standard
library's sqlite3 (SqlCatalog needs SQLAlchemy, which the test virtualenv does not have).

It keeps one row per table with its current metadata location and commits with a
compare-and-swap on that location, which is what SqlCatalog does. All metadata, manifest and
snapshot work is PyIceberg's own (MetastoreCatalog): this only stores the pointer.
"""

import sqlite3

from pyiceberg.catalog import MetastoreCatalog
from pyiceberg.exceptions import (
    CommitFailedException,
    NamespaceAlreadyExistsError,
    NoSuchNamespaceError,
    NoSuchTableError,
    TableAlreadyExistsError,
)
from pyiceberg.io import load_file_io
from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC
from pyiceberg.serializers import FromInputFile
from pyiceberg.table import CommitTableResponse, Table
from pyiceberg.table.sorting import UNSORTED_SORT_ORDER

SCHEMA = """
CREATE TABLE IF NOT EXISTS namespaces (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS tables (
  namespace TEXT NOT NULL, name TEXT NOT NULL, metadata_location TEXT NOT NULL,
  PRIMARY KEY (namespace, name)
);
"""


class SqliteCatalog(MetastoreCatalog):
    def __init__(self, name: str, path: str, **properties: str):
        super().__init__(name, **properties)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.executescript(SCHEMA)

    def create_namespace(self, namespace, properties=None) -> None:  # noqa: ANN001
        name = self.namespace_to_string(namespace)
        try:
            self.db.execute("INSERT INTO namespaces VALUES (?)", (name,))
        except sqlite3.IntegrityError as error:
            raise NamespaceAlreadyExistsError(name) from error

    def load_namespace_properties(self, namespace) -> dict:  # noqa: ANN001
        name = self.namespace_to_string(namespace)
        if not self.db.execute("SELECT 1 FROM namespaces WHERE name = ?", (name,)).fetchone():
            raise NoSuchNamespaceError(name)
        return {}

    def create_table(
        self,
        identifier,  # noqa: ANN001
        schema,  # noqa: ANN001
        location=None,  # noqa: ANN001
        partition_spec=UNPARTITIONED_PARTITION_SPEC,  # noqa: ANN001
        sort_order=UNSORTED_SORT_ORDER,  # noqa: ANN001
        properties=None,  # noqa: ANN001
    ) -> Table:
        staged = self._create_staged_table(identifier, schema, location, partition_spec, sort_order, properties or {})
        namespace, name = staged.name()
        self.load_namespace_properties(namespace)
        self._write_metadata(staged.metadata, staged.io, staged.metadata_location)
        try:
            self.db.execute("INSERT INTO tables VALUES (?, ?, ?)", (namespace, name, staged.metadata_location))
        except sqlite3.IntegrityError as error:
            raise TableAlreadyExistsError(f"{namespace}.{name}") from error
        return self.load_table(identifier)

    def load_table(self, identifier) -> Table:  # noqa: ANN001
        namespace, name = self.identifier_to_database_and_table(identifier)
        row = self.db.execute(
            "SELECT metadata_location FROM tables WHERE namespace = ? AND name = ?", (namespace, name)
        ).fetchone()
        if not row:
            raise NoSuchTableError(f"{namespace}.{name}")
        io = load_file_io(self.properties, row[0])
        metadata = FromInputFile.table_metadata(io.new_input(row[0]))
        return Table(
            identifier=(namespace, name),
            metadata=metadata,
            metadata_location=row[0],
            io=self._load_file_io(metadata.properties, row[0]),
            catalog=self,
        )

    def commit_table(self, table, requirements, updates) -> CommitTableResponse:  # noqa: ANN001
        namespace, name = table.name()
        current = self.load_table((namespace, name))
        staged = self._update_and_stage_table(current, (namespace, name), requirements, updates)
        self._write_metadata(staged.metadata, staged.io, staged.metadata_location)
        swapped = self.db.execute(
            "UPDATE tables SET metadata_location = ? WHERE namespace = ? AND name = ? AND metadata_location = ?",
            (staged.metadata_location, namespace, name, current.metadata_location),
        )
        if swapped.rowcount != 1:
            raise CommitFailedException(f"{namespace}.{name} was changed by another commit")
        return CommitTableResponse(metadata=staged.metadata, metadata_location=staged.metadata_location)

    # What neither the tests nor the benchmark use.
    def register_table(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise NotImplementedError

    def drop_table(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise NotImplementedError

    def rename_table(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise NotImplementedError

    def drop_namespace(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise NotImplementedError

    def list_tables(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise NotImplementedError

    def list_namespaces(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise NotImplementedError

    def update_namespace_properties(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise NotImplementedError

    def list_views(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise NotImplementedError

    def drop_view(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise NotImplementedError

    def view_exists(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise NotImplementedError

    def load_view(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise NotImplementedError

    def register_view(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise NotImplementedError
