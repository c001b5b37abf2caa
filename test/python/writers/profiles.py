"""Deterministic tables (same profile, rows and seed give the same data) shaped like users'
files: every column nullable, no Parquet field ids, awkward values on purpose.

- types: every primitive family astha maps (int8..int64, float/double with NaN, ±inf, -0.0,
  decimal(9,2)/(18,4)/(38,10), date, timestamp ms/us with and without zone, unicode and long
  strings, binary with 0xff runs, boolean) plus list, struct and map columns.
- types_utc: the same values with every zone UTC (for PyIceberg's own add_files).
- nanos: timestamp[ns] with and without zone (Iceberg v3 types; see what a v2 table does).
- ids: uuid and fixed[4] columns.
- simple: four columns, for the many-file tables.
"""

import datetime
import decimal
import random

import pyarrow as pa

UNICODE = ["Grüße", "日本語テキスト", "emoji 🌍🚀", "Ελληνικά", "עברית", "naïve café", "ß", ""]
LONG = "a-string-much-longer-than-sixteen-characters-so-bounds-are-truncated"
EPOCH = datetime.datetime(1970, 1, 1)


def _maybe(rng: random.Random, value: object, null_rate: float = 0.1) -> object:
    return None if rng.random() < null_rate else value


def _string(rng: random.Random, i: int) -> str:
    pick = rng.random()
    if pick < 0.3:
        return rng.choice(UNICODE) + f"-{i}"
    if pick < 0.6:
        return f"{LONG}-{rng.randrange(10**9)}-ü"
    if pick < 0.7:
        return "\U0010ffff" * 20  # highest code point: a truncated upper bound cannot increment it
    return f"s{rng.randrange(1000):03d}"


def _binary(rng: random.Random) -> bytes:
    if rng.random() < 0.2:
        return b"\xff" * rng.randrange(1, 40)
    return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 30)))


def _float(rng: random.Random) -> float:
    pick = rng.random()
    if pick < 0.05:
        return float("nan")
    if pick < 0.08:
        return rng.choice([float("inf"), float("-inf"), -0.0])
    return rng.uniform(-1e6, 1e6)


def _decimal(rng: random.Random, precision: int, scale: int) -> decimal.Decimal:
    unscaled = rng.randrange(-(10**precision) + 1, 10**precision)
    return decimal.Decimal(unscaled).scaleb(-scale)


def _timestamp(rng: random.Random) -> datetime.datetime:
    return EPOCH + datetime.timedelta(microseconds=rng.randrange(-(10**15), 4 * 10**15))


def _types(rows: int, seed: int) -> pa.Table:
    rng = random.Random(seed)
    m = lambda v: _maybe(rng, v)  # noqa: E731 - short local helper keeps the column list readable
    ts = [m(_timestamp(rng)) for _ in range(rows)]
    columns = {
        "id": pa.array([seed * 1_000_000 + i for i in range(rows)], pa.int64()),
        "i8": pa.array([m(rng.randrange(-128, 128)) for _ in range(rows)], pa.int8()),
        "i16": pa.array([m(rng.randrange(-(2**15), 2**15)) for _ in range(rows)], pa.int16()),
        "i32": pa.array([m(rng.randrange(-(2**31), 2**31)) for _ in range(rows)], pa.int32()),
        "i64": pa.array([m(rng.randrange(-(2**63), 2**63)) for _ in range(rows)], pa.int64()),
        "f32": pa.array([m(_float(rng)) for _ in range(rows)], pa.float32()),
        "f64": pa.array([m(_float(rng)) for _ in range(rows)], pa.float64()),
        "dec9": pa.array([m(_decimal(rng, 9, 2)) for _ in range(rows)], pa.decimal128(9, 2)),
        "dec18": pa.array([m(_decimal(rng, 18, 4)) for _ in range(rows)], pa.decimal128(18, 4)),
        "dec38": pa.array([m(_decimal(rng, 38, 10)) for _ in range(rows)], pa.decimal128(38, 10)),
        "day": pa.array([m(datetime.date(1900, 1, 1) + datetime.timedelta(days=rng.randrange(80_000))) for _ in range(rows)], pa.date32()),
        "ts_ms": pa.array([t.replace(microsecond=t.microsecond // 1000 * 1000) if t else None for t in ts], pa.timestamp("ms")),
        "ts_us": pa.array(ts, pa.timestamp("us")),
        "tstz_ms": pa.array([m(_timestamp(rng).replace(microsecond=0)) for _ in range(rows)], pa.timestamp("ms", tz="UTC")),
        "tstz_us": pa.array([m(_timestamp(rng)) for _ in range(rows)], pa.timestamp("us", tz="Europe/Paris")),
        "name": pa.array([m(_string(rng, i)) for i in range(rows)], pa.string()),
        "payload": pa.array([m(_binary(rng)) for _ in range(rows)], pa.binary()),
        "flag": pa.array([m(rng.random() < 0.5) for _ in range(rows)], pa.bool_()),
        "tags": pa.array(
            [m([_maybe(rng, rng.choice(UNICODE)) for _ in range(rng.randrange(4))]) for _ in range(rows)],
            pa.list_(pa.string()),
        ),
        "point": pa.array(
            [m({"x": rng.uniform(-90, 90), "label": _maybe(rng, rng.choice(UNICODE))}) for _ in range(rows)],
            pa.struct([("x", pa.float64()), ("label", pa.string())]),
        ),
        "attrs": pa.array(
            [m([(f"k{j}", _maybe(rng, rng.randrange(100))) for j in range(rng.randrange(3))]) for _ in range(rows)],
            pa.map_(pa.string(), pa.int32()),
        ),
    }
    return pa.table(columns)


def _nanos(rows: int, seed: int) -> pa.Table:
    rng = random.Random(seed)
    nanos = [_maybe(rng, rng.randrange(-(10**18), 4 * 10**18)) for _ in range(rows)]
    return pa.table(
        {
            "id": pa.array([seed * 1_000_000 + i for i in range(rows)], pa.int64()),
            "ts_ns": pa.array(nanos, pa.int64()).cast(pa.timestamp("ns")),
            "tstz_ns": pa.array(nanos, pa.int64()).cast(pa.timestamp("ns", tz="UTC")),
        }
    )


def _ids(rows: int, seed: int) -> pa.Table:
    rng = random.Random(seed)
    uuids = [_maybe(rng, rng.randbytes(16)) for _ in range(rows)]
    return pa.table(
        {
            "id": pa.array([seed * 1_000_000 + i for i in range(rows)], pa.int64()),
            "uid": pa.ExtensionArray.from_storage(pa.uuid(), pa.array(uuids, pa.binary(16))),
            "code": pa.array([_maybe(rng, rng.randbytes(4)) for _ in range(rows)], pa.binary(4)),
        }
    )


def _simple(rows: int, seed: int) -> pa.Table:
    rng = random.Random(seed)
    return pa.table(
        {
            "id": pa.array([seed * 1_000_000 + i for i in range(rows)], pa.int64()),
            "name": pa.array([_maybe(rng, _string(rng, i)) for i in range(rows)], pa.string()),
            "amount": pa.array([_maybe(rng, round(rng.uniform(0, 1000), 2)) for _ in range(rows)], pa.float64()),
            "at": pa.array([_maybe(rng, _timestamp(rng)) for _ in range(rows)], pa.timestamp("us", tz="UTC")),
        }
    )


def _types_utc(rows: int, seed: int) -> pa.Table:
    """`types` with every zone UTC: PyIceberg's add_files refuses other Arrow zones."""
    table = _types(rows, seed)
    index = table.schema.get_field_index("tstz_us")
    return table.set_column(index, "tstz_us", table.column(index).cast(pa.timestamp("us", tz="UTC")))


PROFILES = {"types": _types, "types_utc": _types_utc, "nanos": _nanos, "ids": _ids, "simple": _simple}


def build(profile: str, rows: int, seed: int) -> pa.Table:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: use one of {sorted(PROFILES)}")
    return PROFILES[profile](rows, seed)
