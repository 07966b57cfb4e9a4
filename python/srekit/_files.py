"""Reading log files in chunks for ``Parser.parse_file``: the core's chunked feed
(``_srekit.LineFeed``) cuts the bytes into blocks of whole lines, numbered from the file's start,
which go to the native ``parse_many`` (one call per block, GIL released while tokenizing); a partial
last line waits for the next chunk, and a line longer than the parser's ``max_line_length`` is
skipped and reported, never buffered without bound. A framed parser (``container``, ``multiline``)
reads through ``_srekit.RecordFeed``, the same feed parsing as it goes, which carries partial pieces
and the open multi-line event from chunk to chunk."""

import os
from typing import Any, Dict, Iterable, Iterator, List, Optional, Union

from srekit import _srekit  # type: ignore[attr-defined]  # native; typed in __init__.pyi

PathLike = Union[str, "os.PathLike[str]"]


class Parser(_srekit.Parser):  # type: ignore[misc]  # the native base is typed in __init__.pyi
    """A configured log parser: ``Parser("logfmt", types={"status": "int"})``.

    Formats: ``logfmt``, ``ltsv``, ``json``, ``regex`` (with ``regex=``: a pattern whose named
    groups become fields, or a preset name) and the presets ``nginx``, ``nginx-common``,
    ``apache``, ``apache-common``, ``syslog-rfc3164``, ``syslog-rfc5424``. ``pattern=`` is the
    deprecated old name of ``regex=``.

    Keyword options (the exporter's ``[[inputs]]`` keys): ``regex``, ``types`` (field ->
    ``int``/``float``/``bool``/``string``, as Fluent Bit's Types), ``time_key`` and
    ``time_format`` (strptime subset; RFC 3339 or epoch seconds when omitted), ``lossy_utf8``
    (replace invalid UTF-8 instead of rejecting the line) and ``max_line_length`` (bytes, default
    1 MiB; longer lines are errors); ``container`` (``cri``, ``docker`` or ``auto``: unwrap the
    container runtime's envelope, join partial pieces per stream, add ``stream`` and ``time``) and
    ``multiline`` (``{"start": regex}`` or ``{"preset": "java"|"python"|"go"}``, with
    ``max_lines`` and ``timeout``); and ``timestamp_field`` (a key under which each dict gets the
    parsed time as float seconds, or None). Format ``raw`` gives each line (or event) as
    ``{"message": ...}``. A parser with ``container`` or ``multiline`` joins lines across one
    ``parse_many`` call, or across the chunks of ``parse_file`` (pieces still open at the end are
    emitted as they are; ``timeout`` only matters to live tails). A joined message is bounded by
    ``max_line_length`` (the envelope not counted).

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
        if self.framed:
            yield from self._parse_framed_file(path, errors, strict, chunk_size)
            return
        feed = _srekit.LineFeed(self.max_line_length)
        with open(path, "rb") as f:
            while True:
                chunk = f.read(chunk_size)
                if not chunk:
                    break
                yield from self._parse_pieces(feed.push(chunk), errors, strict)
        yield from self._parse_pieces(feed.finish(), errors, strict)

    def _parse_framed_file(
        self, path: PathLike, errors: Optional[List[Any]], strict: bool, chunk_size: int
    ) -> Iterator[Dict[str, Any]]:
        # A container envelope or multi-line events join lines across chunks: the native feed keeps
        # the partial pieces and the open event between chunks, so memory stays bounded by the chunk
        # and max_line_length, and the results are those of one parse_many call over the whole file.
        feed = _srekit.RecordFeed(self)
        with open(path, "rb") as f:
            while True:
                chunk = f.read(chunk_size)
                records, bad = feed.push(chunk) if chunk else feed.finish()
                if bad:
                    if strict:
                        raise bad[0]
                    if errors is not None:
                        errors.extend(bad)
                yield from records
                if not chunk:
                    return

    def _parse_pieces(
        self, pieces: Iterable[Any], errors: Optional[List[Any]], strict: bool
    ) -> Iterator[Dict[str, Any]]:
        for piece in pieces:
            if isinstance(piece, _srekit.LogParseError):
                if strict:
                    raise piece
                if errors is not None:
                    errors.append(piece)
            else:
                first_line, block = piece
                yield from self.parse_many(block, errors=errors, strict=strict, first_line=first_line)
