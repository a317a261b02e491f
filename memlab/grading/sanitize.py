"""Feedback a learner cannot forge: their text is shown as one quoted line, never as lines of ours.

A grade report is lines the grader writes (``✓ case 3: ok``) with text from the learner's code
inside some of them: an exception's message, something the code printed, a name it chose. If that
text could hold a newline, a carriage return or a terminal escape, a submission could print lines
that look like the grader's own, such as ``✓ everything: ok``. So every piece of the learner's text
passes through :func:`one_line` (control characters, line and paragraph separators and the
bidirectional overrides become visible escapes such as ``\\n``, and the text is cut to a length),
and what the learner's code printed is shown by :func:`quoted_block`, each line behind ``| ``.
"""

from __future__ import annotations

import unicodedata

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _unsafe(ch: str) -> bool:
    """Control characters (C0, C1, DEL), separators of lines and paragraphs, and format characters
    (bidirectional overrides, zero-width joiners), which can reorder or hide what a reader sees."""
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cf", "Cs", "Co", "Cn")


def one_line(text: object, limit: int = 300) -> str:
    """``text`` as a single line a reader can trust: every unsafe character escaped, cut to ``limit``."""
    text = text if isinstance(text, str) else str(text)
    if len(text) > 4 * limit:
        text = text[: 4 * limit]
    out = "".join(_visible(ch) if _unsafe(ch) else ch for ch in text)
    return out if len(out) <= limit else out[:limit] + "..."


def quoted_block(text: str, *, prefix: str = "| ", max_lines: int = 40, width: int = 200) -> list[str]:
    """What a learner's code printed, as lines that each start with ``prefix`` (so none passes for ours)."""
    lines = text.splitlines() or [""]
    shown = [prefix + one_line(line, width) for line in lines[:max_lines]]
    if len(lines) > max_lines:
        shown.append(f"{prefix}... ({len(lines) - max_lines} more lines)")
    return shown
