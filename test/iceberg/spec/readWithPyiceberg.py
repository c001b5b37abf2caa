"""Reads a manifest list and its manifests with PyIceberg and prints what it sees as JSON.

The astha tests write Avro with their own code and compare against this output, so the
Avro files are checked by a reader astha did not write. Longs are printed as strings
(JavaScript cannot hold 64-bit integers in JSON numbers); bytes as hex.
"""
import json
import sys
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from pyiceberg.avro.file import AvroFile
from pyiceberg.io.pyarrow import PyArrowFileIO
from pyiceberg.manifest import read_manifest_list
from pyiceberg.schema import index_by_id


def plain(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return "hex:" + bytes(value).hex()
    if isinstance(value, (Decimal, uuid.UUID, date, datetime)):
        return type(value).__name__ + ":" + str(value)
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "_data"):
        return [plain(v) for v in value._data]
    return repr(value)


def header(io, path):
    """The file's key/value metadata, and the field ids PyIceberg finds in its Avro schema."""
    with AvroFile(io.new_input(path)) as reader:
        meta = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in reader.header.meta.items()}
        return meta, sorted(index_by_id(reader.schema).keys())


def main(list_path):
    io = PyArrowFileIO()
    meta, field_ids = header(io, list_path)
    out = {"meta": meta, "field_ids": field_ids, "manifests": []}
    for manifest in read_manifest_list(io.new_input(list_path)):
        entries = manifest.fetch_manifest_entry(io, discard_deleted=False)
        with open(manifest.manifest_path, "rb") as f:
            raw = f.read()
        manifest_meta, manifest_field_ids = header(io, manifest.manifest_path)
        out["manifests"].append(
            {
                "manifest_path": manifest.manifest_path,
                "manifest_length": plain(manifest.manifest_length),
                "actual_length": plain(len(raw)),
                "partition_spec_id": plain(manifest.partition_spec_id),
                "content": plain(int(manifest.content)),
                "sequence_number": plain(manifest.sequence_number),
                "min_sequence_number": plain(manifest.min_sequence_number),
                "added_snapshot_id": plain(manifest.added_snapshot_id),
                "added_files_count": plain(manifest.added_files_count),
                "existing_files_count": plain(manifest.existing_files_count),
                "deleted_files_count": plain(manifest.deleted_files_count),
                "added_rows_count": plain(manifest.added_rows_count),
                "existing_rows_count": plain(manifest.existing_rows_count),
                "deleted_rows_count": plain(manifest.deleted_rows_count),
                "partitions": [
                    {
                        "contains_null": s.contains_null,
                        "contains_nan": s.contains_nan,
                        "lower_bound": plain(s.lower_bound),
                        "upper_bound": plain(s.upper_bound),
                    }
                    for s in (manifest.partitions or [])
                ],
                "meta": manifest_meta,
                "field_ids": manifest_field_ids,
                "entries": [
                    {
                        "status": plain(int(e.status)),
                        "snapshot_id": plain(e.snapshot_id),
                        "sequence_number": plain(e.sequence_number),
                        "file_sequence_number": plain(e.file_sequence_number),
                        "content": plain(int(e.data_file.content)),
                        "file_path": e.data_file.file_path,
                        "file_format": str(e.data_file.file_format.name),
                        "partition": plain(e.data_file.partition),
                        "record_count": plain(e.data_file.record_count),
                        "file_size_in_bytes": plain(e.data_file.file_size_in_bytes),
                        "column_sizes": plain(e.data_file.column_sizes),
                        "value_counts": plain(e.data_file.value_counts),
                        "null_value_counts": plain(e.data_file.null_value_counts),
                        "nan_value_counts": plain(e.data_file.nan_value_counts),
                        "lower_bounds": plain(e.data_file.lower_bounds),
                        "upper_bounds": plain(e.data_file.upper_bounds),
                        "split_offsets": plain(e.data_file.split_offsets),
                        "sort_order_id": plain(e.data_file.sort_order_id),
                    }
                    for e in entries
                ],
            }
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
