"""Writes a manifest and a manifest list with PyIceberg, for astha's readers to read.

Usage: writeWithPyiceberg.py <dir>. The table: id long, day date, region string, price
decimal(9,2); partitioned by identity(day), identity(region), bucket[4](id). Prints the
paths written.
"""
import json
import os
import sys
from decimal import Decimal

from pyiceberg.io.pyarrow import PyArrowFileIO
from pyiceberg.manifest import (
    DataFile,
    DataFileContent,
    FileFormat,
    ManifestEntry,
    ManifestEntryStatus,
    write_manifest,
    write_manifest_list,
)
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import BucketTransform, IdentityTransform
from pyiceberg.typedef import Record
from pyiceberg.types import DateType, DecimalType, LongType, NestedField, StringType

SNAPSHOT_ID = 9007199254740993
PARENT_ID = 7777777777777777777


def main(directory):
    io = PyArrowFileIO()
    schema = Schema(
        NestedField(1, "id", LongType(), required=True),
        NestedField(2, "day", DateType(), required=False),
        NestedField(3, "region", StringType(), required=False),
        NestedField(4, "price", DecimalType(9, 2), required=False),
        schema_id=0,
    )
    spec = PartitionSpec(
        PartitionField(2, 1000, IdentityTransform(), "day"),
        PartitionField(3, 1001, IdentityTransform(), "region"),
        PartitionField(1, 1002, BucketTransform(4), "id_bucket"),
        spec_id=0,
    )
    manifest_path = os.path.join(directory, "py-manifest.avro")
    with write_manifest(2, spec, schema, io.new_output(manifest_path), SNAPSHOT_ID, "deflate") as writer:
        for i, (day, region) in enumerate([(19000, "eu"), (19001, None)]):
            data_file = DataFile.from_args(
                content=DataFileContent.DATA,
                file_path=f"s3://b/t/data/{i}.parquet",
                file_format=FileFormat.PARQUET,
                partition=Record(day, region, i),
                record_count=100 + i,
                file_size_in_bytes=2000 + i,
                column_sizes={1: 10, 2: 20},
                value_counts={1: 100 + i},
                null_value_counts={3: i},
                nan_value_counts={},
                lower_bounds={1: (5).to_bytes(8, "little", signed=True)},
                upper_bounds={1: (2**62).to_bytes(8, "little", signed=True)},
                split_offsets=[4],
                sort_order_id=0,
            )
            writer.add_entry(
                ManifestEntry.from_args(
                    status=ManifestEntryStatus.ADDED,
                    snapshot_id=SNAPSHOT_ID,
                    sequence_number=None,
                    file_sequence_number=None,
                    data_file=data_file,
                )
            )
    manifest_file = writer.to_manifest_file()
    list_path = os.path.join(directory, "py-snap.avro")
    with write_manifest_list(2, io.new_output(list_path), SNAPSHOT_ID, PARENT_ID, 5, "deflate") as list_writer:
        list_writer.add_manifests([manifest_file])
    print(json.dumps({"manifest": manifest_path, "list": list_path}))


if __name__ == "__main__":
    main(sys.argv[1])
