"""One row filter, given as data ({"column", "op", "value"}), rendered for each reader and for
pyarrow (which computes what was written), so the three evaluate the same predicate."""

import pyarrow as pa
import pyarrow.compute as pc

OPS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
NULL_OPS = ("is_null", "not_null")


def check(spec: dict) -> None:
    op = spec.get("op")
    if op not in OPS and op not in NULL_OPS:
        raise ValueError(f"unknown filter op {op!r}: use one of {sorted(OPS) + list(NULL_OPS)}")
    if not isinstance(spec.get("column"), str):
        raise ValueError(f"filter needs a column name: {spec!r}")


def pyiceberg_expression(spec: dict):  # noqa: ANN201 - a pyiceberg BooleanExpression
    from pyiceberg import expressions as ex

    check(spec)
    column, op, value = spec["column"], spec["op"], spec.get("value")
    if op == "is_null":
        return ex.IsNull(column)
    if op == "not_null":
        return ex.NotNull(column)
    build = {
        "==": ex.EqualTo,
        "!=": ex.NotEqualTo,
        "<": ex.LessThan,
        "<=": ex.LessThanOrEqual,
        ">": ex.GreaterThan,
        ">=": ex.GreaterThanOrEqual,
    }[op]
    return build(column, value)


def duckdb_where(spec: dict) -> tuple[str, list[object]]:
    """SQL condition with one `?` parameter; the column name is quoted, never interpolated raw."""
    check(spec)
    column = '"' + spec["column"].replace('"', '""') + '"'
    op = spec["op"]
    if op == "is_null":
        return f"{column} IS NULL", []
    if op == "not_null":
        return f"{column} IS NOT NULL", []
    return f"{column} {OPS[op]} ?", [spec["value"]]


def arrow_mask(spec: dict, table: pa.Table) -> pa.ChunkedArray:
    """Boolean mask of the rows of `table` the filter keeps (SQL semantics: null compares false)."""
    check(spec)
    op = spec["op"]
    if spec["column"] not in table.column_names:
        # A column a file lacks reads as null.
        return pa.chunked_array([pa.array([op == "is_null"] * table.num_rows, pa.bool_())])
    column = table.column(spec["column"])
    if op == "is_null":
        return pc.is_null(column)
    if op == "not_null":
        return pc.is_valid(column)
    value = pa.scalar(spec["value"]).cast(column.type)
    compare = {
        "==": pc.equal,
        "!=": pc.not_equal,
        "<": pc.less,
        "<=": pc.less_equal,
        ">": pc.greater,
        ">=": pc.greater_equal,
    }[op]
    return pc.fill_null(compare(column, value), False)
