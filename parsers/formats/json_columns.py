"""JSON lines decoded a whole column at a time by Arrow's JSON reader, the common keys then picked per column.

Decoding line by line in Python costs far more than the rest of ingestion together; Arrow decodes a block
of lines in C++. When Arrow refuses a block (a key whose type changes from line to line, a line that is not
one object), the caller reads that block line by line instead.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from parsers.vector_re import as_arrow, to_str_series

_PRIMITIVE = (pa.types.is_string, pa.types.is_large_string, pa.types.is_integer, pa.types.is_floating,
              pa.types.is_boolean)


def read_table(texts: pd.Series, stamps_as_text: bool = True) -> pa.Table | None:
    """The lines as an Arrow table (one row per line), or None when Arrow cannot read them as one block.

    Arrow reads whole-second ISO stamps as timestamps, converting those with a zone to UTC and keeping those
    without one as they are, in one zone-less type: which was which is lost, and depends on the other lines of
    the block. With `stamps_as_text` such columns are read again (a second parse) as the text they are, for the
    time reader to judge; a caller that reads no times leaves them as Arrow typed them."""
    try:
        data = _joined(texts)
        table = _read(data)
        stamped = [f.name for f in table.schema if pa.types.is_timestamp(f.type)] if stamps_as_text else []
        if stamped:
            table = _read(data, pa.schema([(name, pa.string()) for name in stamped]))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    return table if table.num_rows == len(texts) else None


def _read(data: pa.Buffer, schema: pa.Schema | None = None) -> pa.Table:
    return pa_json.read_json(
        pa.BufferReader(data),
        read_options=pa_json.ReadOptions(block_size=data.size + 1),
        parse_options=pa_json.ParseOptions(newlines_in_values=False, explicit_schema=schema,
                                           unexpected_field_behavior="infer"),
    )


def _joined(texts: pd.Series) -> pa.Buffer:
    """The lines joined by newlines, in Arrow (the column's strings never become Python objects)."""
    values = pc.fill_null(as_arrow(texts), "")
    if not pa.types.is_large_string(values.type):
        values = values.cast(pa.large_string())
    whole = pa.LargeListArray.from_arrays(pa.array([0, len(values)], pa.int64()), values)
    return pc.binary_join(whole, pa.scalar("\n", pa.large_string()))[0].as_buffer()


def column(table: pa.Table, key: str) -> pa.Array | None:
    """The column for `key`, following dots into nested objects (`log.level`, `kubernetes.labels.app`)."""
    if key in table.column_names:
        return table.column(key).combine_chunks()
    head, _, rest = key.partition(".")
    if not rest or head not in table.column_names:
        return None
    node = table.column(head).combine_chunks()
    for part in rest.split("."):
        if not pa.types.is_struct(node.type) or node.type.get_field_index(part) < 0:
            return None
        node = pc.struct_field(node, part)
    return node


def as_text(values: pa.Array, index: pd.Index) -> pd.Series | None:
    """A primitive column as text ("" for null); an error object as its stack, else "type: message"."""
    if pa.types.is_struct(values.type):
        parts = [pc.struct_field(values, name) for name in ("stack", "stack_trace", "stacktrace", "type", "message")
                 if values.type.get_field_index(name) >= 0]
        texts = [as_text(p, index) for p in parts]
        texts = [t for t in texts if t is not None]
        if not texts:
            return None
        names = [n for n in ("stack", "stack_trace", "stacktrace", "type", "message") if values.type.get_field_index(n) >= 0]
        stack = next((t for n, t in zip(names, texts) if n.startswith("stack")), None)
        described = _join_nonempty([t for n, t in zip(names, texts) if not n.startswith("stack")], ": ")
        return stack.where(stack != "", described) if stack is not None else described
    if not any(check(values.type) for check in _PRIMITIVE):
        return None
    if pa.types.is_floating(values.type):
        series = pd.Series(values.to_numpy(zero_copy_only=False), index=index)
        whole = series.notna() & (series == series.round())
        text = series.astype("str").where(~whole, series.where(whole).astype("Int64").astype("str"))
        return text.where(series.notna(), "")
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = pc.cast(values, pa.large_string())
    return to_str_series(values, index).fillna("")


def _join_nonempty(texts: list[pd.Series], separator: str) -> pd.Series:
    out = texts[0]
    for text in texts[1:]:
        both = (out != "") & (text != "")
        out = (out + separator + text).where(both, out.where(out != "", text))
    return out


def coalesce(table: pa.Table, keys: tuple[str, ...], index: pd.Index) -> pd.Series:
    """Per row, the first key (in order of preference) with a non-empty value; "" when none has one."""
    out = pd.Series("", index=index, dtype="str")
    missing = np.ones(len(index), dtype=bool)
    for key in keys:
        values = column(table, key)
        if values is None:
            continue
        text = as_text(values, index)
        if text is None:
            continue
        take = missing & (text != "").to_numpy()
        if take.all():
            return text  # (the common case: the first key present holds every row's value)
        if take.any():
            out[take] = text[take]
            missing &= ~take
        if not missing.any():
            break
    return out


def time_column(table: pa.Table, keys: tuple[str, ...], index: pd.Index) -> pd.Series:
    """The time as text; Arrow's own timestamps (it infers some) are written back as ISO text first."""
    out = pd.Series(np.nan, index=index, dtype="object")
    for key in keys:
        values = column(table, key)
        if values is None:
            continue
        if pa.types.is_timestamp(values.type):
            stamps = pd.Series(values.to_pandas(), index=index)
            text = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%f") + ("Z" if values.type.tz else "")
            text = text.where(stamps.notna(), "")
        else:
            text = as_text(values, index)
            if text is None:
                continue
        fill = out.isna() & (text != "")
        out[fill] = text[fill]
    return out
