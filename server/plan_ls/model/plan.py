"""The prompt plan (`prompt_plan.md`): its steps, however a plan writes them.

Real plans label steps in many ways: "### Step 3: Title", "# Prompt 2: Title", "### 📁 1. Title",
"**Prompt 1.1.1:**" before a fence, "Step 1.1: Title." lines in a paragraph, "PROMPT 1/8: Title"
as a fence's first line, or bare fences. Every way a file uses is collected as a group of
candidates; the group whose candidates hold the most prompts (fences) wins, ties broken by how
explicit the labelling is. Phase/Part/Stage headings group steps and are never steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from plan_ls.model.blocks import Blocks, Fence, Heading, parse_blocks

NUMBER = r"[A-Z]?\d+(?:\.\d+)*"
STEP_WORDS = r"step|prompt|chunk|task|iteration|ticket"
GROUP_WORDS = r"phase|part|stage|sprint|epic|milestone|section"

_LABEL = re.compile(rf"(?<![\w])(?P<word>{STEP_WORDS})s?\s*#?\s*(?P<num>{NUMBER}(?:[-–]\d+(?![\w.]))?)"
                    rf"(?![\w])(?:/\d+)?", re.I)
# A step named and struck through ("~~Step 3~~"): what *Remove step* leaves where the removed
# step was named. It names no step: nothing links to it, renames and go-to-definition skip it.
REMOVED_MENTION = re.compile(rf"~~(?P<word>{STEP_WORDS})s?\s*#?\s*(?P<num>{NUMBER})~~", re.I)


def struck(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] (a step label) is struck through: "~~" right around it."""
    return text[max(0, start - 2):start] == "~~" and text[end:end + 2] == "~~"


_RANGE = re.compile(r"^(\d+)[-–](\d+)$")
# A label that says its step is done: a check mark before it, or a status at its end
# ("✅ COMPLETED", "(done)", "[x]"); a title that merely uses the word ("Add and done commands")
# is not one.
_DONE_MARK = re.compile(r"^[#\s*_]*(?:✅|✔|☑)|(?:✅|✔️?|☑️?|\(done\)|\[x\]|\b(?:[Cc]ompleted|COMPLETED?)\b)"
                        r"[\s*_:.!)]*$")
_LEADING_LABEL = re.compile(rf"^[\W_]*?(?P<word>{STEP_WORDS})\s*#?\s*(?P<num>{NUMBER})(?![\w])"
                            rf"(?:/\d+)?", re.I)
_NUMBERED = re.compile(r"^[^\w\s]*\s*(?P<num>\d+(?:\.\d+)*)(?:[.):]\s*|\s+)(?=\S)")
_GROUP = re.compile(rf"^[\W_]*(?:{GROUP_WORDS})\b\s*(?P<num>[A-Z0-9][\w.]*)?", re.I)
# a fence whose first line is only a label, maybe after a word or two ("Project Prompt 9:")
_FENCE_TAG = re.compile(rf"^(?:[\w-]+\s+){{1,2}}(?P<word>{STEP_WORDS})\s*#?\s*(?P<num>{NUMBER})"
                        rf"\s*[:.\-–—]?\s*$", re.I)
_BOLD_LABEL = re.compile(rf"^(?:\*\*|__)\s*(?P<word>{STEP_WORDS})\s*#?\s*(?P<num>{NUMBER})(?![\w])",
                         re.I)
_PLAIN_LABEL = re.compile(rf"^(?P<word>{STEP_WORDS})\s+#?(?P<num>{NUMBER})(?:/\d+)?\s*[:.\-–—]",
                          re.I)
_TITLE_LEAD = re.compile(r"^(?:/\d+)?[\s*_:.)\-–—|]*")
_TITLE_TAIL = re.compile(
    r"[\s*_:]*(?:✅|✔️?|☑️?|\(done\)|\[x\]|\bcompleted?\b|\bdone\b)?[\s*_:.]*$", re.I)
_CLAIM = re.compile(r"\(@([\w][\w.\-]*)\)")
_PROMPT_FENCES = {"", "text", "txt", "md", "markdown", "prompt", "plaintext"}

# kinds, most explicit first: used to break ties between groups that hold as many prompts
_KIND_RANK = {"heading": 0, "bold": 1, "fence": 2, "numbered": 3, "line": 4, "bare": 5}
_WORD_RANK = {"prompt": 0, "step": 1, "chunk": 2, "task": 3, "iteration": 4, "ticket": 5}


@dataclass(slots=True)
class Prompt:
    start: int  # the fence's opening line, or the first body line of a fenceless step
    end: int  # exclusive
    text: str
    fenced: bool


@dataclass(slots=True)
class Step:
    index: int
    number: str  # as written: "3", "1.2", "P0", "Phase 2 / Step 1"
    key: str  # normalised for matching: "3", "1.2", "P0", "2/1"
    title: str
    line: int  # the line that names the step
    end_line: int  # exclusive
    heading_level: int | None  # for heading-labelled steps
    label: str  # "Step", "Prompt", ... or "" for numbered headings and bare fences
    kind: str
    prompts: list[Prompt] = field(default_factory=list)
    claim: str | None = None
    marked_done: bool = False  # the plan itself says so on the label ("✅ COMPLETED")

    @property
    def prompt_text(self) -> str:
        return "\n\n".join(p.text.strip("\n") for p in self.prompts)

    @property
    def name(self) -> str:
        """How to call the step in a sentence: "Step 3", "Prompt 1.2", "Phase 2 / Step 1"."""
        if "/" in self.number or not any(c.isdigit() for c in self.number):
            return self.number  # "Phase 2 / Step 1", or an unnumbered closing step's title
        return f"{self.label or 'Step'} {self.number}"

    @property
    def display(self) -> str:
        return f"{self.name}: {self.title}" if self.title and self.title != self.name \
            else self.name


@dataclass
class PlanDoc:
    steps: list[Step]
    blocks: Blocks
    by_key: dict[str, list[int]] = field(default_factory=dict)
    _groups: set[str] | None = field(default=None, repr=False)  # built on first use
    _range_list: list[tuple[int, int, int]] | None = field(default=None, repr=False)
    content: object = field(default=None, repr=False)  # links.ContentIndex, built on first use
    format: str = "prompt_plan"  # sync/plans.py's Format; tasks.py parses the others
    # (first line, end line, step index): more sections of a step (a second copy of a
    # spec-kit task list under "Setup (Phase 1)"), consulted after the steps' own ranges
    extra_ranges: list[tuple[int, int, int]] = field(default_factory=list)
    tasks: dict = field(default_factory=dict)  # 0-based line -> tasks.TaskInfo, per box

    def step_at(self, line: int) -> Step | None:
        """The step whose range holds the line."""
        for step in self.steps:
            if step.line <= line < step.end_line:
                return step
        for start, end, idx in self.extra_ranges:
            if start <= line < end:
                return self.steps[idx]
        return None

    def steps_around(self, line: int) -> list[Step]:
        """The steps whose own range holds the line (their extra ranges aside)."""
        return [step for step in self.steps if step.line <= line < step.end_line]

    def step_on_line(self, line: int) -> Step | None:
        for step in self.steps:
            if step.line == line:
                return step
        return None

    def find(self, number: str) -> Step | None:
        """The step a number names: its own, or a collapsed range ("Prompts 1-10") holding it."""
        key = normalize_number(number)
        idx = self.by_key.get(key)
        if idx:
            return self.steps[idx[0]]
        if key.isdigit():
            n = int(key)
            for lo, hi, at in self._ranges():
                if lo <= n <= hi:
                    return self.steps[at]
        return None

    def has_group(self, number: str) -> bool:
        """True when `number` is a prefix of step numbers ("1.1" of "1.1.3")."""
        if self._groups is None:
            groups: set[str] = set()
            for k in self.by_key:
                parts = k.split(".")
                groups.update(".".join(parts[:i]) for i in range(1, len(parts)))
            self._groups = groups
        return normalize_number(number) in self._groups

    def _ranges(self) -> list[tuple[int, int, int]]:
        if self._range_list is None:
            self._range_list = []
            for step in self.steps:
                m = _RANGE.match(step.key)
                if m:
                    self._range_list.append((int(m.group(1)), int(m.group(2)), step.index))
        return self._range_list


@lru_cache(maxsize=65536)
def normalize_number(number: str) -> str:
    """'01' -> '1', '1.02' -> '1.2', 'p0' -> 'P0'; 'Phase 2 / Step 1' -> '2/1'."""
    number = number.strip()
    if "/" in number:
        return "/".join(normalize_number(_num_only(p)) for p in number.split("/"))
    parts = number.upper().split(".")
    out = []
    for p in parts:
        head = p[:1] if p[:1].isalpha() else ""
        digits = p[len(head):]
        m = _RANGE.match(digits.replace("–", "-"))
        if m:
            digits = f"{int(m.group(1))}-{int(m.group(2))}"
        out.append(head + (str(int(digits)) if digits.isdigit() else digits))
    return ".".join(out)


def _num_only(text: str) -> str:
    m = re.search(r"[A-Z]?\d+(?:\.\d+)*|\b[A-Z]\b", text.strip(), re.I)
    return m.group(0) if m else text.strip()


def clean_title(rest: str) -> str:
    title = _TITLE_LEAD.sub("", rest)
    title = title.replace("**", "").replace("__", "")
    title = _CLAIM.sub("", title)  # a claim "(@ana)" is shown apart, not in the title
    previous = None
    while previous != title:  # "Title ✅ COMPLETED" has more than one status mark
        previous = title
        title = _TITLE_TAIL.sub("", title).strip()
    return title.strip(" *_:.-–—")


@dataclass(slots=True)
class _Candidate:
    kind: str
    word: str
    number: str
    title: str
    line: int
    level: int | None  # heading level for heading kinds
    limit: int  # a line the step cannot run past (its section's end)
    mention: bool = False  # "Notes for Prompt 11": names a step at its end, with no title
    done: bool = False  # the label says the step is done


def parse_plan(text: str) -> PlanDoc:
    """Find the steps of a prompt plan (see the module docstring); never raises."""
    blocks = _reopen_swallowed_steps(parse_blocks(_unescape_export(text)))
    groups: dict[tuple[str, str], list[_Candidate]] = {}
    for cand in _candidates(blocks):
        groups.setdefault((cand.kind, cand.word), []).append(cand)
    for cands in groups.values():
        cands.sort(key=lambda c: c.line)
        _drop_repeats(cands)
    _add_mixed_groups(groups)
    best: list[_Candidate] = []
    best_score: tuple[int, int, int, int] | None = None
    for (kind, word), cands in groups.items():
        if not cands:
            continue
        if kind == "numbered":
            cands = groups[(kind, word)] = _holding_prompts(cands, blocks)
        ranges = _ranges(cands, blocks)
        fenced = sum(1 for (a, b) in ranges if _fences_in(blocks.fences, a, b))
        score = (fenced, -_KIND_RANK[kind.split("+")[0]], -_WORD_RANK.get(word.lower(), 9),
                 len(cands))
        if best_score is None or score > best_score:
            best, best_score = cands, score
    if not best:
        best = _bare_fences(blocks)
    best = best + _closing_sections(best, blocks)
    steps = _build_steps(best, blocks)
    _qualify_by_phase(steps, blocks)
    plan = PlanDoc(steps, blocks)
    for step in steps:
        plan.by_key.setdefault(step.key, []).append(step.index)
    return plan


_ESCAPED = re.compile(r"^(\\[#`])+", re.M)


def _unescape_export(text: str) -> str:
    """Some tools export markdown with its markup escaped ("\\#\\#\\# Step 1", "\\`\\`\\`text"). When
    a plan has several such lines, read their leading markup as the author wrote it. The
    lines stay where they are (only characters at their starts are dropped)."""
    if len(_ESCAPED.findall(text, 0, 200_000)) < 2:
        return text
    return _ESCAPED.sub(lambda m: m.group(0).replace("\\", ""), text)


def _holding_prompts(cands: list[_Candidate], blocks: Blocks) -> list[_Candidate]:
    """Numbered headings are steps when they hold prompts: in an outline where some do
    ("## 4.1 Prompt: Setup" + fence) the others ("# 1. Blueprint", "## 3.1 Chunk A",
    "## 5. Closing notes") are the outline around the steps."""
    own = []
    for c in cands:  # the heading's own text, up to its first sub-heading
        end = c.limit
        for h in blocks.headings:
            if c.line < h.line < end:
                end = h.line
                break
        own.append(bool(_fences_in(blocks.fences, c.line + 1, end)))
    if sum(own) < 2:
        return cands
    return [c for c, holds in zip(cands, own) if holds]


def _closing_sections(cands: list[_Candidate], blocks: Blocks) -> list[_Candidate]:
    """Unnumbered steps after the last one: a heading above the steps' level (a sibling of
    the groups that hold them, like "## Final Integration" after "## Milestone 9") whose own
    text, before any sub-heading, holds a prompt fence. Its title is its name."""
    if not cands or any(c.kind != "heading" or c.level is None for c in cands):
        return []
    level = min(c.level for c in cands if c.level is not None)
    last = cands[-1].line
    out = []
    for i, h in enumerate(blocks.headings):
        if h.line <= last or h.level >= level or not clean_title(h.text):
            continue
        body_end = h.end_line
        for later in blocks.headings[i + 1:]:
            if later.line >= h.end_line:
                break
            body_end = later.line
            break
        fences = [f for f in _fences_in(blocks.fences, h.line + 1, body_end)
                  if f.info.split(" ")[0].lower() in _PROMPT_FENCES | {
                      blocks.fences[0].info.split(" ")[0].lower()}]
        if fences:
            title = clean_title(h.text)
            out.append(_Candidate("heading", "", title, title, h.line, h.level, h.end_line))
    return out


def _drop_repeats(cands: list[_Candidate]) -> None:
    """Labels that only repeat or mention a step: "Prompt 2:" again before its body, or a
    heading such as "Notes for Prompt 11" when Prompt 11 has a step of its own."""
    keys = {normalize_number(c.number) for c in cands if not c.mention}
    kept: list[_Candidate] = []
    for c in cands:
        if c.mention and normalize_number(c.number) in keys:
            continue
        last = kept[-1] if kept else None
        if last is not None and normalize_number(last.number) == normalize_number(c.number) \
                and (not c.title or c.title == last.title) and c.line - last.line <= 3:
            continue
        kept.append(c)
    cands[:] = kept


def _add_mixed_groups(groups: dict[tuple[str, str], list[_Candidate]]) -> None:
    """One plan may label its first step with a heading and the rest with plain lines (or the
    other way round): the kinds of one word together, when their numbers never collide, are
    one more group to choose from."""
    by_word: dict[str, list[str]] = {}
    for kind, word in groups:
        if kind != "numbered" and groups[(kind, word)]:
            by_word.setdefault(word, []).append(kind)
    for word, kinds in by_word.items():
        if len(kinds) < 2:
            continue
        merged = [c for k in kinds for c in groups[(k, word)]]
        keys = [normalize_number(c.number) for c in merged]
        if len(set(keys)) != len(keys):
            continue
        best_kind = min(kinds, key=lambda k: _KIND_RANK[k])
        groups[(best_kind + "+mixed", word)] = sorted(merged, key=lambda c: c.line)


def _reopen_swallowed_steps(blocks: Blocks) -> Blocks:
    """Read fences as the author meant, where CommonMark reads them otherwise:

    - a prompt that nests a fence ("```text" ... "  ```ts" ... "  ```" ... "```"): the
      indented closing fence ends the outer one under CommonMark, and the outer closing fence
      then opens a new fence that swallows the next steps. When a fence holds an indented
      opener with an info string and closes on an indented line, it runs to the next closing
      fence at its own indentation.
    - a fence that never closes and holds step labels at the start of its lines swallowed
      the steps after it: the author forgot a closing fence. It ends before the first label.

    The text after the corrected fence is parsed again."""
    for _ in range(50):  # each pass fixes one fence; real plans need a few at most
        fixed = _nested_fence(blocks) or _unclosed_fence(blocks)
        if fixed is None:
            return blocks
        blocks = fixed
    return blocks


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _nested_fence(blocks: Blocks) -> Blocks | None:
    lines = blocks.lines
    for i, f in enumerate(blocks.fences):
        if f.in_list or f.end - f.start < 3:
            continue
        opening = lines[f.start]
        base = _indent(opening)
        marker = opening.strip()[:3]
        if marker not in ("```", "~~~"):
            continue
        close = f.end - 1
        if not _closes(lines[close], opening) or _indent(lines[close]) <= base:
            continue
        inner = [n for n in range(f.start + 1, close) if _indent(lines[n]) > base
                 and lines[n].strip().startswith(marker) and lines[n].strip()[3:].strip()]
        if not inner:
            continue
        for n in range(close + 1, len(lines)):
            if _closes(lines[n], opening) and _indent(lines[n]) <= base:
                return _splice(blocks, i, n + 1, n)
            if lines[n].strip().startswith(marker) and lines[n].strip()[3:].strip() \
                    and _indent(lines[n]) <= base:
                break  # a new prompt opens first: the author did not nest
    return None


def _unclosed_fence(blocks: Blocks) -> Blocks | None:
    if not blocks.fences:
        return None
    last = blocks.fences[-1]
    lines = blocks.lines
    last_line = len(lines) - 1 if lines and lines[-1] == "" else len(lines)
    if last.end < last_line or _closes(lines[last.end - 1], lines[last.start]) \
            and last.end - 1 > last.start:
        return None  # it ends before the end of the text, or on its closing fence
    for n in range(last.start + 2, last.end):
        line = lines[n]
        if line[:1].isspace():
            continue
        if _PLAIN_LABEL.match(line.lstrip("#* ").strip()):
            return _splice(blocks, len(blocks.fences) - 1, n, n)
    return None


def _splice(blocks: Blocks, index: int, cut: int, content_end: int) -> Blocks:
    """Blocks with fence `index` running to `cut` (exclusive; its content ends before
    `content_end`), and the text from `cut` on parsed again."""
    from plan_ls.model.blocks import Fence, ListItem, Paragraph, _close_sections

    lines = blocks.lines
    fence = blocks.fences[index]
    start = fence.start
    rest = parse_blocks("\n".join(lines[cut:]))
    out = Blocks(lines=lines, bom=blocks.bom)
    out.headings = [Heading(h.line, h.level, h.text) for h in blocks.headings if h.line < start]
    out.headings += [Heading(h.line + cut, h.level, h.text) for h in rest.headings]
    kept = [n for n, it in enumerate(blocks.items) if it.line < start]
    renumber = {old: new for new, old in enumerate(kept)}
    for n in kept:
        it = blocks.items[n]
        out.items.append(ListItem(it.line, min(it.end_line, start), it.depth,
                                  renumber.get(it.parent) if it.parent is not None else None,
                                  it.ordered))
    base = len(out.items)
    for it in rest.items:
        out.items.append(ListItem(it.line + cut, it.end_line + cut, it.depth,
                                  None if it.parent is None else it.parent + base, it.ordered))
    out.fences = [f for f in blocks.fences[:index]]
    content = "\n".join(lines[start + 1:content_end])
    out.fences.append(Fence(start, cut, fence.info, content + "\n" if content else "",
                            fence.in_list))
    out.fences += [Fence(f.start + cut, f.end + cut, f.info, f.content, f.in_list)
                   for f in rest.fences]
    out.paragraphs = [p for p in blocks.paragraphs if p.line < start]
    out.paragraphs += [Paragraph(p.line + cut, p.end_line + cut, p.text, p.in_list)
                       for p in rest.paragraphs]
    out.opaque = [(a, min(b, start)) for a, b in blocks.opaque if a < start]
    out.opaque.append((start, cut))
    out.opaque += [(a + cut, b + cut) for a, b in rest.opaque]
    _close_sections(out.headings, len(lines))
    return out


def _closes(line: str, opening: str) -> bool:
    marker = opening.strip()[:3]
    stripped = line.strip()
    return bool(stripped) and stripped[0] == marker[:1] and set(stripped) == {marker[0]} \
        and len(stripped) >= 3


def _candidates(blocks: Blocks):
    line_count = len(blocks.lines)
    heads = blocks.headings
    for h in heads:
        if _GROUP.match(h.text) and not _LABEL.search(h.text):
            continue
        m = _LABEL.search(h.text)
        if m:
            title = clean_title(h.text[m.end():])
            before = h.text[:m.start()]
            mention = not title and bool(re.search(r"[a-z]{2,}", before))
            yield _Candidate("heading", m.group("word").lower(), m.group("num"), title, h.line,
                             h.level, h.end_line, mention, bool(_DONE_MARK.search(h.text)))
            continue
        m = _NUMBERED.match(h.text)
        if m:
            yield _Candidate("numbered", "", m.group("num"), clean_title(h.text[m.end():]),
                             h.line, h.level, h.end_line)

    def limit_for(line: int) -> int:
        limit = line_count
        for h in heads:
            if h.line < line < h.end_line:
                limit = h.end_line  # innermost enclosing heading wins (later in the list)
        return limit

    for p in blocks.paragraphs:
        m = None if p.in_list else _BOLD_LABEL.match(p.text)
        if m:
            rest = p.text[m.end():]
            yield _Candidate("bold", m.group("word").lower(), m.group("num"), clean_title(rest),
                             p.line, None, limit_for(p.line))
            continue
        for n in range(p.line, p.end_line):
            source = blocks.lines[n]
            if p.in_list and (n == p.line or source[:1].isspace()):
                continue  # only an unindented lazy line of a list paragraph can be a label
            source = source.strip()
            m = _PLAIN_LABEL.match(source)
            if m:
                title = clean_title(source[m.end():].split(". ", 1)[0])
                yield _Candidate("line", m.group("word").lower(), m.group("num"), title, n, None,
                                 limit_for(n), done=bool(_DONE_MARK.search(source)))
    for f in blocks.fences:
        first = f.content.lstrip("\n").split("\n", 1)[0].strip().strip('"').strip()
        m = _LEADING_LABEL.match(first) or _FENCE_TAG.match(first)
        if m:
            title = clean_title(first[m.end():])
            if not title and f.start > 0:  # the label alone: the title is the line above
                above = f.start - 1
                while above > 0 and not blocks.lines[above].strip():
                    above -= 1
                if above < f.start - 2 or _in_fence(blocks, above):
                    above = -1
                title = clean_title(blocks.lines[above].lstrip("#")) if above >= 0 else ""
            yield _Candidate("fence", m.group("word").lower(), m.group("num"), title, f.start,
                             None, f.end)


def _in_fence(blocks: Blocks, line: int) -> bool:
    return any(f.start <= line < f.end for f in blocks.fences)


def _ranges(cands: list[_Candidate], blocks: Blocks) -> list[tuple[int, int]]:
    out = []
    for i, c in enumerate(cands):
        nxt = cands[i + 1].line if i + 1 < len(cands) else len(blocks.lines)
        out.append((c.line, max(c.line + 1, min(nxt, c.limit))))
    return out


def _fences_in(fences: list[Fence], start: int, end: int) -> list[Fence]:
    return [f for f in fences if start <= f.start < end]


def _bare_fences(blocks: Blocks) -> list[_Candidate]:
    """A plan with no labelled or numbered steps: each prompt-like fence is a step."""
    cands = []
    fences = [f for f in blocks.fences if f.info.split(" ")[0].lower() in _PROMPT_FENCES]
    for n, f in enumerate(fences, 1):
        title = ""
        for h in blocks.headings:
            if h.line < f.start:
                title = clean_title(h.text)
        if not title:
            title = clean_title(f.content.strip().split("\n", 1)[0])[:80]
        cands.append(_Candidate("bare", "", str(n), title, f.start, None, f.end))
    return cands


def _build_steps(cands: list[_Candidate], blocks: Blocks) -> list[Step]:
    steps: list[Step] = []
    for i, (c, (start, end)) in enumerate(zip(cands, _ranges(cands, blocks))):
        if c.kind == "fence" or c.kind == "bare":
            end = max(end, c.limit)
        step = Step(
            index=i, number=c.number, key=normalize_number(c.number), title=c.title,
            line=c.line, end_line=end, heading_level=c.level,
            label=c.word.capitalize() if c.word else "", kind=c.kind,
        )
        claim = _CLAIM.search(blocks.lines[c.line]) if c.kind != "bare" else None
        step.claim = claim.group(1) if claim else None
        step.marked_done = c.done
        fences = _fences_in(blocks.fences, start, end)
        if c.kind in ("fence", "bare"):
            fences = fences[:1]
        if fences:
            step.prompts = [Prompt(f.start, f.end, f.content, True) for f in fences]
        else:
            body_start = c.line + 1
            body = "\n".join(blocks.lines[body_start:end]).strip("\n")
            if c.kind == "line":  # "Step 1.1: Title. Text..." — the label line is prompt too
                body_start = c.line
                body = "\n".join(blocks.lines[c.line:end]).strip()
            step.prompts = [Prompt(body_start, end, body, False)] if body.strip() else []
        steps.append(step)
    return steps


def _qualify_by_phase(steps: list[Step], blocks: Blocks) -> None:
    """Numbers that restart in every phase ("Step 1" under Phase 1 and Phase 2) become
    "Phase 2 / Step 1", so that each step keeps one name."""
    keys = [s.key for s in steps]
    if len(set(keys)) == len(keys):
        return
    phases: list[tuple[Heading, str]] = []
    for h in blocks.headings:
        m = _GROUP.match(h.text)
        if m and m.group("num"):
            phases.append((h, m.group("num").rstrip(".:")))
    if not phases:
        return
    qualified = []
    for s in steps:
        owner = None
        for h, num in phases:
            if h.line < s.line < h.end_line:
                owner = (h, num)
        if owner is None:
            return
        word = owner[0].text.strip("*_ ").split()[0]
        qualified.append((f"{word} {owner[1]} / {s.label or 'Step'} {s.number}",
                          f"{normalize_number(owner[1])}/{s.key}"))
    if len({k for _, k in qualified}) != len(qualified):
        return
    for s, (number, key) in zip(steps, qualified):
        s.number, s.key = number, key
