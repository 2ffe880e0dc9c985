"""The interview transcript: a plain markdown file a person reads and edits.

    # Spec interview
    ## Idea
    <the idea>
    ## Question 1
    <question>
    **Answer:**
    <answer, written by the developer>
    ## Interview complete
    <what the model said when it had enough>

Pure text in, text out: no LSP, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TITLE = "# Spec interview"
ANSWER = "**Answer:**"
COMPLETE_HEADING = "## Interview complete"
COMPLETE_MARKER = "INTERVIEW COMPLETE"
CUT_TEXT = "plan-ls: cut off here"
# ends a text that stopped early, in the editor (features/generation.py) and the CLI alike
CUT_MARK = f"\n\n> ✂ **{CUT_TEXT}** ({{reason}}). The text above is incomplete.\n"
HINT = ("<!-- Answer each question below its **Answer:** line, then run *Ask the next "
        "question* (a code action in this file). -->")
_HEADING = re.compile(r"^##\s+(.*?)\s*#*\s*$")
_QUESTION = re.compile(r"^question\s+(\d+)\b", re.I)
_SEPARATORS = " \t:.-—–\n"
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_STRUCTURE = re.compile(r"^##\s+(?:question\s+\d+\b|idea\s*$|interview complete\b)", re.I)


@dataclass
class Turn:
    number: int
    question: str
    answer: str
    line: int  # the question's heading line (0-based)

    @property
    def cut(self) -> bool:
        """A question whose stream was cancelled or broke off: not sent, not waited for."""
        return CUT_TEXT in self.question


@dataclass
class Transcript:
    idea: str = ""
    turns: list[Turn] = field(default_factory=list)
    complete: bool = False

    @property
    def next_number(self) -> int:
        return (self.turns[-1].number if self.turns else 0) + 1

    @property
    def waiting_turn(self) -> Turn | None:
        """The last question if it has no answer yet."""
        last = self.turns[-1] if self.turns else None
        return last if last is not None and not last.answer and not last.cut else None

    def as_prompt_text(self) -> str:
        """The questions and answers so far, as the model sees them."""
        turns = [t for t in self.turns if not t.cut]
        if not turns:
            return "(no questions asked yet: ask the first one)"
        return "\n\n".join(f"Question {t.number}: {t.question}\nAnswer {t.number}: "
                           f"{t.answer or '(not answered)'}" for t in turns)


def looks_like_transcript(text: str) -> bool:
    return text.lstrip("\ufeff").startswith(TITLE)


def new_transcript(idea: str) -> str:
    return f"{TITLE}\n\n{HINT}\n\n## Idea\n\n{idea.strip()}\n"


def section_head(heading: str, text_before: str) -> str:
    """What goes after `text_before` so that a new `## heading` section starts cleanly."""
    if not text_before or text_before.endswith("\n\n"):
        sep = ""
    else:
        sep = "\n" if text_before.endswith("\n") else "\n\n"
    return f"{sep}{heading}\n\n"


def question_head(number: int, text_before: str) -> str:
    return section_head(f"## Question {number}", text_before)


MANUAL_QUESTION = "<!-- paste the model's question here -->"


ANSWER_SLOT = f"\n\n{ANSWER}\n\n"


def parse_transcript(text: str) -> Transcript:
    sections: list[tuple[str, int, list[str]]] = []
    in_fence = False
    for n, line in enumerate(text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        elif in_fence and _STRUCTURE.match(line):
            # a fence a question or answer left open ends at the transcript's next section:
            # else one unclosed fence would hide every later question
            in_fence = False
        m = None if in_fence else _HEADING.match(line)
        if m:
            sections.append((m.group(1), n, []))
        elif sections:
            sections[-1][2].append(line)
    out = Transcript()
    for title, line, body in sections:
        if title.lower() == "idea":
            out.idea = _clean("\n".join(body))
        elif title.lower().startswith("interview complete"):
            out.complete = True
        elif (m := _QUESTION.match(title)) is not None:
            question, answer = _split_answer(body)
            out.turns.append(Turn(int(m.group(1)), question, answer, line))
            out.complete = False  # a question after the completion note reopens it
    return out


def _split_answer(body: list[str]) -> tuple[str, str]:
    for i, line in enumerate(body):
        if line.strip().startswith(ANSWER):
            rest = line.strip()[len(ANSWER):]
            return _clean("\n".join(body[:i])), _clean("\n".join([rest, *body[i + 1:]]))
    return _clean("\n".join(body)), ""


def _clean(text: str) -> str:
    return _COMMENT.sub("", text).strip()


class MarkerFilter:
    """Holds back the start of an answer until it is clear whether it is the completion
    marker, so the marker itself never reaches the document."""

    def __init__(self) -> None:
        self.decided = False
        self.complete = False
        self._held = ""
        self._trim = False

    def feed(self, text: str) -> str:
        """Returns the text to write now ("" while undecided)."""
        if self.decided and not self._trim:
            return text
        if self._trim:  # after the marker: drop separators until the summary starts
            text = text.lstrip(_SEPARATORS)
            self._trim = not text
            return text
        self._held += text
        probe = self._held.lstrip()
        if not probe:
            return ""
        if probe.startswith(COMPLETE_MARKER):
            self.decided = self.complete = True
            rest = probe[len(COMPLETE_MARKER):].lstrip(_SEPARATORS)
            self._trim = not rest
            return rest
        if COMPLETE_MARKER.startswith(probe):
            return ""  # still a prefix of the marker: wait for more
        self.decided = True
        return probe

    def flush(self) -> str:
        """At the end of the stream: whatever is still held back."""
        if self.decided:
            return ""
        self.decided = True
        held, self._held = self._held.strip(), ""
        if held == COMPLETE_MARKER:
            self.complete = True
            return ""
        return held
