"""Read CSV exports into Polars frames of strings, whatever encoding and dialect they use.

Encodings, in the order they are tried when none is given:
- a byte-order mark decides: UTF-8 (``utf-8-sig``) or UTF-16 (Excel's "Unicode text");
- bytes that are valid UTF-8 are UTF-8;
- anything else is read as CP932, the Windows superset of Shift_JIS that Japanese Excel and
  Salesforce Data Export write. A file that is not valid CP932 either is rejected.

Shift_JIS text almost never happens to be valid UTF-8 (its two-byte sequences break UTF-8's
continuation rules), so trying UTF-8 first is a reliable test.

Line ends are normalized to ``\\n`` before parsing, also inside quoted values, so the same
export saved with CRLF or LF gives the same values. The separator is taken from the header
line (comma, semicolon, tab or pipe). Every column is read as a string: parsing values is the
mapping's job, so no value is lost to type inference.
"""

from __future__ import annotations

import codecs
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from connectors.files.errors import FileRejectedError
from sgl.i18n import _

logger = logging.getLogger(__name__)

SEPARATORS = (",", ";", "\t", "|")
FALLBACK_ENCODING = "cp932"
# Polars' message for a malformed CSV can quote part of a line; only this much of its first
# line goes into an error message.
PARSER_MESSAGE_LIMIT = 160


@dataclass(frozen=True)
class CsvFile:
    """A CSV file read into a frame of strings, with how it was decoded."""

    path: Path
    encoding: str
    separator: str
    frame: pl.DataFrame

    @property
    def name(self) -> str:
        return self.path.name


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode file bytes; return the text and the encoding used (see the module docstring)."""
    if encoding is not None:
        return data.decode(_checked_codec(encoding)), encoding

    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode(FALLBACK_ENCODING), FALLBACK_ENCODING


def sniff_separator(text: str) -> str:
    """Return the separator that occurs most often in the header line (comma on a tie)."""
    header = text.split("\n", 1)[0]
    counts = {separator: header.count(separator) for separator in SEPARATORS}
    best = max(SEPARATORS, key=lambda separator: counts[separator])
    return best if counts[best] > 0 else ","


def read_csv(path: Path, encoding: str | None = None, separator: str | None = None) -> CsvFile:
    """Read a CSV file with every column as a string; raise FileRejectedError when unreadable."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileRejectedError(
            _("{file}: file not found.").format(file=path)) from None
    except OSError as error:
        raise FileRejectedError(
            _("{file}: cannot be read: {reason}").format(file=path, reason=error.strerror)
        ) from None

    try:
        text, used = decode(data, encoding)
    except UnicodeDecodeError as error:
        raise FileRejectedError(_decode_message(path, encoding, error)) from None

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise FileRejectedError(_("{file}: the file is empty.").format(file=path))
    chosen = separator or sniff_separator(text)
    frame = _parse(path, text, chosen)
    logger.info("read %s: %d rows, %d columns, encoding %s", path.name, frame.height,
                frame.width, used)
    return CsvFile(path=path, encoding=used, separator=chosen, frame=frame)


def _parse(path: Path, text: str, separator: str) -> pl.DataFrame:
    try:
        frame = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            separator=separator,
            infer_schema=False,
            has_header=True,
            raise_if_empty=True,
        )
    except pl.exceptions.PolarsError as error:
        detail = str(error).strip().split("\n", 1)[0][:PARSER_MESSAGE_LIMIT]
        raise FileRejectedError(
            _("{file}: not a valid CSV file ({detail}). Check that every row has as many "
              "fields as the header and that quotes are closed.").format(file=path, detail=detail)
        ) from None
    # Spreadsheet tools sometimes pad headers with spaces; values stay exactly as written.
    return frame.rename({name: name.strip() for name in frame.columns})


def _checked_codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise FileRejectedError(
            _("Unknown encoding {encoding!r}. Use a Python codec name such as utf-8, cp932 or "
              "shift_jis.").format(encoding=encoding)
        ) from None


def _decode_message(path: Path, encoding: str | None, error: UnicodeDecodeError) -> str:
    if encoding is not None:
        return _("{file}: not valid {encoding} at byte {position}. Check --encoding, or leave "
                 "it out to detect the encoding.").format(file=path, encoding=encoding,
                                                           position=error.start)
    return _("{file}: neither UTF-8 nor Shift_JIS (CP932) text (invalid byte at {position}). "
             "Save the file as UTF-8, or pass its encoding with --encoding.").format(
        file=path, position=error.start)
