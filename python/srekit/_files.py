"""Reading log files in chunks for ``Parser.parse_file``: whole lines go to the native
``parse_many`` (one call per chunk, GIL released while tokenizing); a partial last line waits for
the next chunk; a line longer than the parser's ``max_line_length`` is skipped and reported, never
buffered without bound."""

import os
from typing import Any, Dict, Iterator, List, Optional, Union

from srekit import _srekit  # type: ignore[attr-defined]  # native; typed in __init__.pyi

PathLike = Union[str, "os.PathLike[str]"]


class Parser(_srekit.Parser):  # type: ignore[misc]  # the native base is typed in __init__.pyi
    """A configured log parser: ``Parser("logfmt", types={"status": "int"})``.

    Formats: ``logfmt``, ``ltsv``, ``json``, ``regex`` (with ``pattern=``, named groups become
    fields) and the presets ``nginx``, ``nginx-common``, ``apache``, ``apache-common``,
    ``syslog-rfc3164``, ``syslog-rfc5424``.

    Keyword options: ``types`` (field -> ``int``/``float``/``bool``/``string``, as Fluent Bit's
    Types), ``time_key`` and ``time_format`` (strptime subset; RFC 3339 or epoch seconds when
    omitted), ``timestamp_field`` (a key under which each dict gets the parsed time as float
    seconds, or None), ``lossy_utf8`` (replace invalid UTF-8 instead of rejecting the line) and
    ``max_line_length`` (bytes, default 1 MiB; longer lines are errors).

    ``parse(line)`` returns one dict or raises :class:`srekit.LogParseError` (a ValueError with
    ``.offset``). ``parse_many(data)`` parses a whole ``str``/``bytes`` buffer in one call with the
    GIL released while tokenizing (``bytes`` avoids one copy); bad lines are skipped, appended to
    ``errors=[...]`` when given (with ``.line`` and ``.offset``), or raised with ``strict=True``.
    """

    def parse_file(
        self,
        path: PathLike,
        *,
        errors: Optional[List[Any]] = None,
        strict: bool = False,
        chunk_size: int = 1 << 20,
    ) -> Iterator[Dict[str, Any]]:
        """Yields one dict per parsed line of the file at ``path``.

        Bad lines are handled as in :meth:`parse_many` (skipped; reported in ``errors`` when a list
        is given; raised with ``strict=True``), with line numbers counted from the file's start.
        """
        limit = self.max_line_length
        next_line = 1  # number of the first line in the next block handed to parse_many
        pending = b""
        skipping = False  # inside a line already known to be too long
        with open(path, "rb") as f:
            while True:
                chunk = f.read(chunk_size)
                if not chunk:
                    break
                if skipping:
                    newline = chunk.find(b"\n")
                    if newline < 0:
                        continue
                    chunk = chunk[newline + 1 :]
                    skipping = False
                    next_line += 1
                data = pending + chunk if pending else chunk
                cut = data.rfind(b"\n")
                if cut < 0:
                    pending = data
                else:
                    block, pending = data[: cut + 1], data[cut + 1 :]
                    yield from self.parse_many(block, errors=errors, strict=strict, first_line=next_line)
                    next_line += block.count(b"\n")
                if len(pending) > limit:
                    self._too_long(next_line, limit, errors, strict)
                    pending = b""
                    skipping = True
        if pending and not skipping:
            yield from self.parse_many(pending, errors=errors, strict=strict, first_line=next_line)

    @staticmethod
    def _too_long(line: int, limit: int, errors: Optional[List[Any]], strict: bool) -> None:
        err = _srekit.LogParseError("line %d: longer than max_line_length (%d bytes), skipped" % (line, limit))
        err.offset = limit
        err.line = line
        if strict:
            raise err
        if errors is not None:
            errors.append(err)
