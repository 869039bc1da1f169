"""Reading a person's text file (an environment, a template, a profile, a price table) with one
clear error for what editors get wrong: a folder or FIFO given, UTF-16, a stray byte-order mark."""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from kvtable.console.errors import UsageError

_UTF16_AND_32_MARKS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def file_problem(path: Path) -> str | None:
    """Why `path` cannot be read as a file (missing, a folder, a FIFO or device, unreadable), or None.
    Checked with stat before opening, so that a FIFO never blocks the command."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return f"{path} does not exist"
    except OSError as error:
        return f"cannot read {path}: {error.strerror}"
    except ValueError:  # a NUL in the name, which no file can have
        return f"{str(path)!r} is not a file name (it holds a NUL character)"
    if stat.S_ISDIR(mode):
        return f"{path} is a folder, not a file"
    if not stat.S_ISREG(mode):
        return f"{path} is not a regular file (a FIFO, socket or device)"
    if not os.access(path, os.R_OK):
        return f"cannot read {path}: permission denied"
    return None


def text_encoding_problem(name: str, data: bytes, line: int = 1, *, first: bool = True) -> str | None:
    """What is wrong with `data` (a whole file, or its line number `line`) as UTF-8 text, or None: UTF-16
    and UTF-32 are seen from the start of the file; a UTF-8 byte-order mark there is fine."""
    if first and (data.startswith(_UTF16_AND_32_MARKS) or 0 in data[:2]):
        return f"{name} is UTF-16 or UTF-32 text; save it as UTF-8"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line += data[: error.start].count(b"\n")
        return f"{name} is not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); save it as UTF-8"
    return None


def decode_text(path: Path, data: bytes) -> str:
    """The text of a UTF-8 file; a UTF-8 byte-order mark is dropped, UTF-16 and other encodings refused."""
    problem = text_encoding_problem(str(path), data)
    if problem:
        raise UsageError(problem)
    return data.decode("utf-8-sig")


def read_text_file(path: Path) -> str:
    """A regular file's UTF-8 text, or one UsageError (exit 2) that says what is wrong with it."""
    problem = file_problem(path)
    if problem:
        raise UsageError(problem)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from error
    return decode_text(path, data)
