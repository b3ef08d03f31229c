"""Export file names from a pattern: ``{export}``, ``{date:%Y%m%d}``, ``{time:%H%M}``, ``{run_id}``.

Dates and times are the run's start in the environment's time zone, so "22:15 in Amsterdam" names the file
``..._2215`` whatever the server's zone. What a name may not hold (a slash, a control character) is replaced,
so a pattern can never write outside its export's folder.
"""

from __future__ import annotations

import datetime as dt
import re

TOKENS = ("export", "date", "time", "run_id")
_TOKEN = re.compile(r"\{([a-z_]+)(?::([^{}]*))?\}")
_UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")
_DEFAULT_FORMATS = {"date": "%Y%m%d", "time": "%H%M"}


def file_name_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a valid file name pattern, or None."""
    stripped = _TOKEN.sub("", pattern)
    if "{" in stripped or "}" in stripped:
        return f"file_name {pattern!r}: an unmatched brace; tokens are {{export}}, {{date:%Y%m%d}}, {{time:%H%M}}, " \
               "{run_id}"
    for match in _TOKEN.finditer(pattern):
        name, spec = match.group(1), match.group(2)
        if name not in TOKENS:
            return f"file_name {pattern!r}: unknown token {{{name}}}; valid: {', '.join(TOKENS)}"
        if spec is not None and name not in _DEFAULT_FORMATS:
            return f"file_name {pattern!r}: {{{name}}} takes no format"
    return None


def render_file_name(pattern: str, *, export: str, started_at: dt.datetime, run_id: str,
                     extension: str) -> str:
    """The file name for one run (``started_at`` already in the environment's zone), with ``extension``."""

    def token(match: re.Match[str]) -> str:
        name, spec = match.group(1), match.group(2)
        if name == "export":
            return export
        if name == "run_id":
            return run_id
        return started_at.strftime(spec or _DEFAULT_FORMATS[name])

    name = _UNSAFE.sub("_", _TOKEN.sub(token, pattern)).strip(" .") or "export"
    suffix = f".{extension}"
    return name if name.lower().endswith(suffix) else name + suffix


def part_name(file_name: str, part: int) -> str:
    """``Products.xlsx`` as its ``part``-th part (the first keeps the name): ``Products_part2.xlsx``."""
    if part <= 1:
        return file_name
    stem, dot, extension = file_name.rpartition(".")
    return f"{stem}_part{part}.{extension}" if dot else f"{file_name}_part{part}"
