"""Shaping a model's streamed answer into the text a planning file wants: small models' habits.

Real models, small local ones most of all, wrap a whole document in one ```` ```markdown ````
fence, open with a chatter line ("Sure! Here is the plan:"), ask three questions when one was
asked for, and loop on the same paragraph until the token limit. `Shaper` takes the stream
piece by piece and hands on whole lines:
- a leading chatter line is dropped, and so is one fence that encloses the whole answer
  (with whatever trails its closing fence);
- in question mode only the first question is kept (with the options listed right under
  it, without a "Question 2:" prefix, and never the interview echoed back), capped at
  `max_question_chars`; the stream should then be closed (`done`);
- a block of lines repeated three times in a row ends the answer (`repeated`).
`FenceTracker` says whether a text ends inside an unclosed fence, so that a cut-off mark can
close it first (else the mark renders as code).

Pure text in, text out: no I/O.
"""

from __future__ import annotations

import re

_CHATTER = re.compile(
    r"^\s*(?:sure|certainly|of course|okay|ok|absolutely|great|alright|"
    r"here(?:'s|’s| is| are)|below is|below are|i(?:'ve|’ve| have) |i will |i'll |let me )",
    re.I)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$")
_WRAPPER_LANGS = frozenset({"", "markdown", "md", "text", "txt"})
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,2}[.)]|[A-Da-d][.)])\s+\S")
_ECHO = re.compile(r"^\s*(?:\*\*)?(?:answer\s*\d+|the interview so far)\s*:?", re.I)
_NUMBERED = re.compile(r"^\s*(?:\*\*)?question(?:\s*\d+)?\s*:\s*(?:\*\*)?\s*", re.I)
MAX_QUESTION_CHARS = 800
_MIN_REPEAT_CHARS = 40  # a repeated block shorter than this may be legitimate (a rule, "---")
_MAX_REPEAT_LINES = 24


def fence_of(line: str) -> tuple[str, str] | None:
    """(fence, info) when `line` is a CommonMark code fence line (``` or ~~~), else None."""
    m = _FENCE.match(line.rstrip("\n"))
    if m is None or (m.group(1)[0] == "`" and "`" in line.strip()[len(m.group(1)):]):
        return None
    return m.group(1), m.group(2).lower()


class FenceTracker:
    """Follows the fences of a text fed line by line; `open_fence` is the fence that would
    close the block the text ends in (None outside a block)."""

    def __init__(self) -> None:
        self.open_fence: str | None = None
        self._partial = ""

    def feed(self, text: str) -> None:
        """Feed more text (any split; lines are judged once complete)."""
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._line(line)

    def _line(self, line: str) -> None:
        found = fence_of(line)
        if found is None:
            return
        fence, info = found
        if self.open_fence is None:
            self.open_fence = fence
        elif (not info and fence[0] == self.open_fence[0]
              and len(fence) >= len(self.open_fence)):
            self.open_fence = None

    def closing(self) -> str:
        """What to write before a cut-off mark: a newline and the closing fence, or ""."""
        if self.open_fence is None and fence_of(self._partial) is None:
            return ""
        probe = FenceTracker()
        probe.open_fence = self.open_fence
        probe._line(self._partial)  # the unfinished last line counts as written
        if probe.open_fence is None:
            return ""
        return ("\n" if self._partial else "") + probe.open_fence


def close_fence(text: str) -> str:
    """`text` followed by the fence that closes its last block, if it ends inside one."""
    tracker = FenceTracker()
    tracker.feed(text)
    return text + tracker.closing()


class Shaper:
    """Turns a streamed answer into the document's text (see the module's docstring).

    `feed(piece)` returns the text to write now: whole lines only, so that a decision about
    a line is made once. `finish()` returns the rest at the end of the stream. `done` turns
    True when the rest of the stream is not wanted (the first question has ended, the model
    repeats itself): the caller should close the stream. `notes` says what was left out.
    """

    def __init__(self, *, question: bool = False,
                 max_question_chars: int = MAX_QUESTION_CHARS) -> None:
        self.question = question
        self.max_question_chars = max_question_chars
        self.done = False
        self.repeated = False
        self.notes: list[str] = []
        self._partial = ""
        self._lead = True  # before the first line of content
        self._chatter_checked = False
        self._chatter: str | None = None  # a chatter line held back
        self._wrapper: str | None = None  # the enclosing fence being unwrapped
        self._inner: str | None = None  # a fence opened inside the wrapper
        self._after_wrapper = False
        self._lines: list[str] = []  # lines delivered (for the repetition check)
        self._blank_pending = 0
        self._asked = False  # question mode: the question mark has been seen
        self._chars = 0

    def feed(self, text: str) -> str:
        if self.done:
            return ""
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        out = []
        for line in lines:
            out.append(self._line(line, last=False))
            if self.done:
                break
        return "".join(out)

    def finish(self) -> str:
        """The held-back last line, at the end of the stream (or after `done`). A chatter
        line that turned out to be the whole answer is the answer after all."""
        rest, self._partial = self._partial, ""
        out = "" if self.done or not rest else self._line(rest, last=True)
        if not self.done and not self.question and not self._lead and not rest.strip():
            out += "\n" * self._blank_pending  # the answer's own trailing blank lines
            self._blank_pending = 0
        if self._chatter is not None and self._lead:
            out, self._chatter = self._chatter + ("\n" + out if out else "\n"), None
        return out

    # --- one line ----------------------------------------------------------------------
    def _line(self, line: str, last: bool) -> str:
        end = "" if last else "\n"
        if self._after_wrapper:
            if line.strip() and "text after the enclosing fence" not in self.notes:
                self.notes.append("text after the enclosing fence")
            return ""
        if self._lead:
            if not line.strip():
                return ""
            if not self._chatter_checked:
                self._chatter_checked = True
                if _is_chatter(line):  # dropped once more text follows (see finish)
                    self._chatter = line
                    return ""
            if self._chatter is not None:
                self.notes.append(f"the opening line {self._chatter.strip()[:60]!r}")
                self._chatter = None
            found = fence_of(line)
            if found is not None and found[1] in _WRAPPER_LANGS and self._wrapper is None:
                self._wrapper = found[0]
                return ""
            self._lead = False
        if self._wrapper is not None:
            found = fence_of(line)
            if found is not None:
                fence, info = found
                if self._inner is None and info:
                    self._inner = fence
                elif self._inner is not None and not info and fence[0] == self._inner[0]:
                    self._inner = None
                elif (self._inner is None and fence[0] == self._wrapper[0]
                      and len(fence) >= len(self._wrapper)):
                    self._after_wrapper = True
                    return ""
        if self.question:
            return self._question_line(line, end)
        return self._document_line(line, end)

    def _document_line(self, line: str, end: str) -> str:
        if not line.strip():
            self._blank_pending += 1
            return ""
        blanks, self._blank_pending = "\n" * self._blank_pending, 0
        self._lines.extend([""] * len(blanks) + [line])
        if self._repeats():
            self.done = self.repeated = True
            self.notes.append("a block the model repeated")
            return ""
        return blanks + line + end

    def _repeats(self) -> bool:
        """True when the delivered lines end in the same block three times over."""
        lines = self._lines
        if len(lines) > 3 * _MAX_REPEAT_LINES:
            del lines[:len(lines) - 3 * _MAX_REPEAT_LINES]
        for size in range(1, min(_MAX_REPEAT_LINES, len(lines) // 3) + 1):
            block = lines[-size:]
            if (lines[-2 * size:-size] == block and lines[-3 * size:-2 * size] == block
                    and sum(len(x.strip()) for x in block) >= _MIN_REPEAT_CHARS / 2
                    and (size > 1 or len(block[0].strip()) >= 8)):
                if size == 1 and len(lines) >= 4 and lines[-4] != block[0]:
                    continue  # one line three times: wait for a fourth before judging
                del lines[-size:]  # the third copy is not written
                return True
        return False

    def _question_line(self, line: str, end: str) -> str:
        if not line.strip():
            self._blank_pending += 1
            return ""
        if _ECHO.match(line):  # the interview so far, echoed back: not part of a question
            if self._asked or self._chars:
                self._stop("the interview so far, repeated by the model")
                return ""
            self.notes.append("the interview so far, repeated by the model")
            return ""
        line = _NUMBERED.sub("", line, count=1)
        stop_after = False
        if self._asked:
            is_option = _LIST_ITEM.match(line) is not None
            if not is_option and (self._blank_pending or "?" in line):
                self._stop("more questions after the first")
                return ""
        elif "?" in line:
            head, _, rest = line.partition("?")
            if "?" in rest:  # two questions on one line: the first only
                line, stop_after = head + "?", True
            self._asked = True
        blanks = "\n" * self._blank_pending if self._chars else ""  # none before the start
        self._blank_pending = 0
        piece = blanks + line + end
        room = self.max_question_chars - self._chars
        if len(piece) > room:
            piece = _cap(piece, room)
            self._stop(f"the question past {self.max_question_chars} characters")
        self._chars += len(piece)
        if stop_after:
            self._stop("more questions after the first")
        return piece

    def _stop(self, note: str) -> None:
        self.done = True
        if note not in self.notes:
            self.notes.append(note)


def _is_chatter(line: str) -> bool:
    text = line.strip()
    return (len(text) <= 200 and _CHATTER.match(text) is not None
            and not text.startswith(("#", "-", "*", ">", "|"))
            and "?" not in text)


def _cap(text: str, room: int) -> str:
    """`text` cut to at most `room` characters, at a sentence or word end, with "…"."""
    if room <= 1:
        return ""
    cut = text[:room - 1]
    for stop in (". ", "? ", "! ", "\n", " "):
        at = cut.rfind(stop)
        if at > room // 2:
            cut = cut[:at + 1]
            break
    return cut.rstrip() + "…\n"
