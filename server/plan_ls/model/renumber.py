"""Renaming a step's number: the step's own label and every mention of it, as minimal edits.

Only the digits change: "## Step 3: Title" -> "## Step 4: Title", "(step 03)" -> "(step 04)"
(a zero-padded mention keeps its width). Numbering schemes are kept: dotted numbers renumber
their last component within their group (1.2 -> 1.3, never 2.1), and numbers restarting in
every phase within their phase, where a mention in the plan names its own phase's step and
one the model cannot place (the checklist's "Step 2") is refused rather than guessed. Pure: the caller passes the lines of each file and
gets back model TextEdits per file; nothing is written here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from plan_ls.model.edit import TextEdit, apply_edits
from plan_ls.model.navigation import Mention, NumberSpan, find_mentions, step_number_span
from plan_ls.model.plan import GROUP_WORDS, PlanDoc, Step, normalize_number

_NEW_NUMBER = re.compile(r"[A-Z]?\d+(?:\.\d+)*", re.I)


class RenameRefused(ValueError):
    """The rename cannot be done; the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class RenameTarget:
    """The step under the cursor and the span of its number there (what the editor selects)."""

    step: Step
    line: int
    start: int
    end: int
    number: str  # as written at that span


def rename_target(plan: PlanDoc, plan_lines: list[str], mentions: list[Mention], line: int,
                  column: int, in_plan: bool) -> RenameTarget | None:
    """The step whose number is at (line, column) of a file: a mention ("Step 3"), or, in
    the plan, the step's own numbered heading ("## 3. Title"). `mentions` are the file's
    (find_mentions); `plan_lines` the plan's. None when no renamable number is there."""
    for m in mentions:
        if m.line == line and m.start <= column <= m.end and m.step is not None:
            step = plan.steps[m.step]
            if step_number_span(plan_lines, step) is None:
                return None
            return RenameTarget(step, m.line, m.num_start, m.num_end, m.number)
    if in_plan:
        step = plan.step_on_line(line)
        if step is not None:
            span = _phase_span(plan_lines, step) if "/" in step.key else \
                step_number_span(plan_lines, step)
            if span is not None and span.line == line and span.start <= column <= span.end:
                return RenameTarget(step, span.line, span.start, span.end,
                                    plan_lines[line][span.start:span.end])
    return None


def format_like(written: str, new: str) -> str:
    """`new` written the way `written` was: "03" and "4" give "04"; anything else as given."""
    if written.isdigit() and new.isdigit() and written.startswith("0") \
            and len(new) < len(written):
        return new.zfill(len(written))
    return new


def rename_step(plan: PlanDoc, step: Step, new_number: str, plan_lines: list[str],
                files: Mapping[str, list[str]]) -> dict[str, list[TextEdit]]:
    """Edits that give `step` the number `new_number` in the plan (key "plan", lines
    `plan_lines`) and in every other file of `files` (key -> lines): its own label, and each
    mention that names it. Raises RenameRefused when the new number is not a step number,
    is another step's or one that a mention of a missing step uses, or the step's number is
    not written anywhere it could be changed."""
    new_number = new_number.strip()
    if not _NEW_NUMBER.fullmatch(new_number):
        raise RenameRefused(f"{new_number!r} is not a step number (like 4 or 2.1)")
    if "/" in step.key:
        return _rename_in_phase(plan, step, new_number, plan_lines, files)
    span = step_number_span(plan_lines, step)
    if span is None:
        raise RenameRefused(f"{step.name} has no number written in the plan to change")
    new_key = normalize_number(new_number)
    if new_key == step.key:
        return {}
    clash = plan.find(new_number)
    if clash is not None and clash.index != step.index:
        raise RenameRefused(f"{clash.name} already has the number {new_number}")
    found = {"plan": find_mentions(plan_lines, plan)}
    found.update((key, find_mentions(lines, plan)) for key, lines in files.items())
    for key, mentions in found.items():
        for m in mentions:  # a mention of a missing step would silently start naming this one
            if m.step is None and normalize_number(m.number) == new_key:
                raise RenameRefused(f"line {m.line + 1} of the {key} names a step "
                                    f"{m.number} that the plan lacks; renaming onto it would "
                                    f"link that line to {step.name}")
    out = {"plan": _edits(plan_lines, span, found["plan"], step, new_number)}
    for key in files:
        out[key] = _edits(files[key], None, found[key], step, new_number)
    return {k: v for k, v in out.items() if v}


def _rename_in_phase(plan: PlanDoc, step: Step, new_number: str, plan_lines: list[str],
                     files: Mapping[str, list[str]]) -> dict[str, list[TextEdit]]:
    """rename_step for a step of a plan whose numbers restart per phase ("Phase 2 / Step 1"):
    a whole number, unique in its phase; the plan's mentions in that phase follow (_named),
    and a mention elsewhere of the old or the new number is refused (which phase's?)."""
    phase, _, old = step.key.rpartition("/")
    if not new_number.isdigit():
        raise RenameRefused(f"{step.name} is numbered within its phase: give it a whole "
                            "number")
    new_key = f"{phase}/{normalize_number(new_number)}"
    if new_key == step.key:
        return {}
    clash = plan.by_key.get(new_key)
    if clash:
        raise RenameRefused(f"{plan.steps[clash[0]].name} already has the number {new_number}")
    unqualified = [normalize_number(new_number) if s is step else s.key.rpartition("/")[2]
                   for s in plan.steps]
    if len(set(unqualified)) == len(unqualified):  # the plan would be read as one numbering
        raise RenameRefused(f"with {step.name} numbered {new_number}, no step number would "
                            "repeat across phases, and every mention would be read anew: "
                            "renumber by hand")
    group = _group(plan, plan_lines, step)
    touched = {int(old), int(normalize_number(new_number))}
    out: dict[str, list[TextEdit]] = {}
    for key, lines in {"plan": plan_lines, **files}.items():
        edits: dict[tuple[int, int], TextEdit] = {}
        if key == "plan":
            own = group.spans[step.index]
            edits[(own.line, own.start)] = TextEdit(
                own.line, own.start, own.end,
                format_like(lines[own.line][own.start:own.end], new_number))
        for m, mkey, mstep in _named(plan, group, key, lines, touched.__contains__,
                                     f"renaming {step.name}"):
            if mstep is None and mkey == new_key:  # would silently start naming the step
                raise RenameRefused(f"line {m.line + 1} of the {key} names a step "
                                    f"{m.number} that the phase lacks; renaming onto it "
                                    f"would link that line to {step.name}")
            if mstep == step.index and (m.line, m.num_start) not in edits:
                edits[(m.line, m.num_start)] = TextEdit(m.line, m.num_start, m.num_end,
                                                        format_like(m.number, new_number))
        if edits:
            out[key] = sorted(edits.values(), key=lambda e: (e.line, e.start))
    return out


def _edits(lines: list[str], own: NumberSpan | None, mentions: list[Mention], step: Step,
           new_number: str) -> list[TextEdit]:
    edits: dict[tuple[int, int], TextEdit] = {}
    if own is not None:
        written = lines[own.line][own.start:own.end]
        edits[(own.line, own.start)] = TextEdit(own.line, own.start, own.end,
                                                format_like(written, new_number))
    for m in mentions:
        if m.step == step.index and (m.line, m.num_start) not in edits:
            edits[(m.line, m.num_start)] = TextEdit(m.line, m.num_start, m.num_end,
                                                    format_like(m.number, new_number))
    return sorted(edits.values(), key=lambda e: (e.line, e.start))


# --- inserting a step -----------------------------------------------------------------------

_SEPARATOR = re.compile(r"[ \t]*(?:[:.)\-–—][ \t]*)?(?:\*\*|__)?[ \t]*(?:[:.)\-–—][ \t]*)?")


def _parent_last(key: str) -> tuple[str, int] | None:
    """A whole, dotted or per-phase key split at its last component: "1.3" -> ("1", 3),
    "4" -> ("", 4), "2/1" (Phase 2 / Step 1) -> ("2/", 1); None for keys that are not digits
    and dots ("P0", a range)."""
    if "/" in key:
        phase, _, last = key.rpartition("/")
        return (phase + "/", int(last)) if last.isdigit() else None
    parent, _, last = key.rpartition(".")
    if not last.isdigit() or not all(p.isdigit() for p in parent.split(".") if parent):
        return None
    return parent, int(last)


def _bump(written: str, delta: int) -> str:
    """`written` ("3", "03", "1.2", "01.09") with `delta` added to its last component, whose
    zero padding is kept: "03" + 1 -> "04", "1.09" + 1 -> "1.10"."""
    head, dot, last = written.rpartition(".")
    return head + dot + format_like(last, str(int(last) + delta))


@dataclass(frozen=True, slots=True)
class _Group:
    """The steps that renumber together around a step: in a whole-numbered plan every step
    from it on; in a dotted one its siblings ("1.1", "1.2", ... under "1"), never "2.1"; in a
    plan whose numbers restart per phase, the steps of its phase ("Phase 2 / Step 1" ...)."""

    parent: str  # "" for whole numbers, "1" for the group of 1.1, 1.2, ..., "2/" for Phase 2
    last: int  # the last component of the step's own number
    spans: dict[int, NumberSpan]  # step index -> where its number is written, for the group


def _group(plan: PlanDoc, plan_lines: list[str], step: Step) -> _Group:
    """The numbering group of `step` (see _Group), with where each member's number is
    written. RenameRefused for numbering this cannot keep: a whole-numbered plan whose later
    steps are not whole numbers ("P0", a range), a dotted step whose siblings have children
    ("1.2.1" under "1.2": their numbers would have to change too), or numbers not written."""
    split = _parent_last(step.key)
    if split is None:
        raise RenameRefused(f"{step.name} is not numbered 1, 2, 3 … or 1.1, 1.2, … in the "
                            "plan: renumber it by hand")
    parent, last = split
    if parent.endswith("/"):  # numbers restarting in every phase: the phase's steps
        members = [s for s in plan.steps if (_parent_last(s.key) or ("", 0))[0] == parent]
    elif parent:  # dotted: the siblings, wherever they stand in the plan
        members = [s for s in plan.steps if (_parent_last(s.key) or ("", 0))[0] == parent
                   and "." in s.key]
        keys = {s.key for s in members}
        for s in plan.steps:
            owner = next((k for k in keys if s.key.startswith(k + ".")), None)
            if owner is not None:
                raise RenameRefused(f"{s.name} is numbered under {owner}: renumber "
                                    f"{parent}.x by hand")
    else:
        members = plan.steps[step.index:]
        for s in members:
            if not s.key.isdigit():
                raise RenameRefused(f"{s.name} is not numbered 1, 2, 3 … in the plan: "
                                    "renumber it by hand")
    spans = {}
    for s in members:
        span = _phase_span(plan_lines, s) if parent.endswith("/") else \
            step_number_span(plan_lines, s)
        if span is None:
            raise RenameRefused(f"{s.name} has no number written in the plan to change")
        spans[s.index] = span
    return _Group(parent, last, spans)


def _phase_span(lines: list[str], step: Step) -> NumberSpan | None:
    """Where a per-phase step ("Phase 2 / Step 1", key "2/1") writes its own number: the
    "1" of its label line ("### Step 1: x")."""
    from plan_ls.model.plan import _LABEL

    own = step.key.rpartition("/")[2]
    if step.line >= len(lines):
        return None
    for m in _LABEL.finditer(lines[step.line]):
        if normalize_number(m.group("num")) == own:
            return NumberSpan(step.line, m.start("num"), m.end("num"))
    return None


def _phase_of_line(plan: PlanDoc) -> list[tuple[int, int, str]]:
    """(first line, end line, normalised number) of each numbered phase heading, the way
    plan._qualify_by_phase reads them."""
    from plan_ls.model.plan import _GROUP

    out = []
    for h in plan.blocks.headings:
        m = _GROUP.match(h.text)
        if m and m.group("num"):
            out.append((h.line, h.end_line, normalize_number(m.group("num").rstrip(".:"))))
    return out


_QUALIFIER = re.compile(rf"\b(?:{GROUP_WORDS})[ \t]+(?P<num>\d+)[ \t]*[,/:\-–—]?[ \t]*$",
                        re.I)  # a phase named right before a mention ("Phase 1 / Step 2")


def _named(plan: PlanDoc, group: _Group, key: str, lines: list[str],
           affects: Callable[[int], bool], what: str) -> list[tuple[Mention, str, int | None]]:
    """Each mention in a file (`key`) with the key it names in `group`'s numbering and its
    step (None: no such step). In a plan whose numbers restart in every phase, a mention
    in the plan names its own phase's step ("Step 2" in Phase 1 is Phase 1 / Step 2), as the
    labels there do; a mention outside every phase, or in another file, names no step the
    model can tell, so one whose number the change could affect (`affects`) raises
    RenameRefused naming its line, rather than being changed (or left) silently."""
    mentions = find_mentions(lines, plan)
    if not group.parent.endswith("/"):
        return [(m, normalize_number(m.number), m.step) for m in mentions]
    phases = _phase_of_line(plan) if key == "plan" else []
    out: list[tuple[Mention, str, int | None]] = []
    for m in mentions:
        number = normalize_number(m.number)
        owner = None
        for start, end, num in phases:  # the innermost phase around the mention
            if start < m.line < end or (start == m.line and m.start > 0):
                owner = num
        qualified = _QUALIFIER.search(lines[m.line], 0, m.start)  # "Phase 1, Step 2"
        if qualified:
            owner = normalize_number(qualified.group("num"))
        if owner is not None:
            mkey = f"{owner}/{number}"
            found = plan.by_key.get(mkey)
            out.append((m, mkey, found[0] if found else None))
            continue
        if number.isdigit() and affects(int(number)):
            raise RenameRefused(
                f"line {m.line + 1} of the {key} mentions {m.number!r}, and every phase "
                f"numbers its steps from 1: which phase's step it names cannot be told, "
                f"so {what} would change it silently. Qualify or renumber it by hand")
        out.append((m, number, m.step))
    return out


def _shift(plan: PlanDoc, plan_lines: list[str], files: Mapping[str, list[str]], step: Step,
           delta: int) -> dict[str, list[TextEdit]]:
    """Edits adding `delta` (1: a step is inserted after `step`) to the last number component
    of the steps of `step`'s group (_group) numbered after it, and to every mention of them
    (_named: in a per-phase plan, those of the plan in the step's phase). A mention of a
    missing step whose number a step would take moves too, so that it names no step after
    the shift either; other mentions of missing steps stay as written. (With `delta` -1,
    `step` removed, the steps take numbers that were taken already.)"""
    group = _group(plan, plan_lines, step)
    what = f"{'inserting after' if delta > 0 else 'removing'} {step.name}"
    later = {i for i in group.spans
             if (_parent_last(plan.steps[i].key) or ("", 0))[1] > group.last}
    taken = {(_parent_last(plan.steps[i].key) or ("", 0))[1] + delta for i in later} \
        | {group.last + 1}
    bound = group.last + (1 if delta > 0 else 0)  # the numbers whose step may change

    def affected(number: int) -> bool:
        return number >= bound

    out: dict[str, list[TextEdit]] = {}
    for key, lines in {"plan": plan_lines, **files}.items():
        edits: dict[tuple[int, int], TextEdit] = {}
        if key == "plan":
            for i in sorted(later):
                span = group.spans[i]
                written = lines[span.line][span.start:span.end]
                edits[(span.line, span.start)] = TextEdit(span.line, span.start, span.end,
                                                          _bump(written, delta))
        for m, mkey, mstep in _named(plan, group, key, lines, affected, what):
            split = _parent_last(mkey)
            dangling = delta > 0 and mstep is None and split is not None \
                and split[0] == group.parent and split[1] in taken
            if (mstep in later or dangling) and (m.line, m.num_start) not in edits:
                edits[(m.line, m.num_start)] = TextEdit(m.line, m.num_start, m.num_end,
                                                        _bump(m.number, delta))
        if edits:
            out[key] = sorted(edits.values(), key=lambda e: (e.line, e.start))
    return out


def insert_step_after(plan: PlanDoc, step: Step, plan_lines: list[str],
                      files: Mapping[str, list[str]],
                      title: str = "New step") -> dict[str, list[TextEdit]]:
    """Edits that insert a step skeleton (its label, written the way `step`'s is, and an
    empty `text` fence) after `step`, numbered one more than `step`, and add one to the
    numbers of the steps after it and of every mention of them; in a dotted plan only within
    `step`'s group (after 1.2: a new 1.3, 1.3 -> 1.4, but 2.1 stays). Raises RenameRefused
    for numbering this cannot keep (see _group)."""
    span = _group(plan, plan_lines, step).spans[step.index]
    out = _shift(plan, plan_lines, files, step, 1)
    label_line = plan_lines[span.line]
    written = label_line[span.start:span.end]
    separator = _SEPARATOR.match(label_line, span.end).group(0) or " "  # type: ignore[union-attr]
    if step.kind == "fence":  # the label is the fence's first line: the skeleton is a fence
        skeleton = [plan_lines[step.line], label_line[:span.start] + _bump(written, 1) + separator + title, "```"]
    else:
        skeleton = [label_line[:span.start] + _bump(written, 1) + separator + title, "", "```text", "", "```"]
    nxt = plan.steps[step.index + 1] if step.index + 1 < len(plan.steps) else None
    at = step.end_line if nxt is None or step.end_line <= nxt.line else nxt.line
    last = len(plan_lines) - 1
    while at > step.line + 1 and at - 1 <= last and not plan_lines[at - 1].strip():
        at -= 1  # after the step's text, before the blank lines that end it
    if at > last:  # the step runs to the end of a text with no final newline
        insert = TextEdit(last, len(plan_lines[last]), len(plan_lines[last]),
                          "\n\n" + "\n".join(skeleton))
    else:
        insert = TextEdit(at, 0, 0, "\n" + "\n".join(skeleton) + "\n")
    out["plan"] = sorted([*out.get("plan", []), insert], key=lambda e: (e.line, e.start))
    return out


# --- moving a step ---------------------------------------------------------------------------

def _text_end(lines: list[str], start: int, end: int) -> int:
    """The line after the last non-blank line in [start, end) (at least start + 1)."""
    end = min(end, len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def move_step_down(plan: PlanDoc, step: Step, plan_lines: list[str],
                   files: Mapping[str, list[str]]) -> dict[str, list[TextEdit]]:
    """Edits that swap `step` with the step after it: their text changes places, their
    numbers stay in order (the moved step takes the later number), and every mention of
    either follows its step. (Moving a step up is moving the one before it down.) Raises
    RenameRefused for the last step, or when either number is not written in the plan."""
    if step.index + 1 >= len(plan.steps):
        raise RenameRefused(f"{step.name} is the last step")
    a, b = step, plan.steps[step.index + 1]
    phased = "/" in a.key or "/" in b.key
    if phased:  # numbers restarting per phase: only two steps of one phase swap
        span_a, span_b = _phase_span(plan_lines, a), _phase_span(plan_lines, b)
        if a.key.rpartition("/")[0] != b.key.rpartition("/")[0]:
            raise RenameRefused(f"{a.name} and {b.name} are in different phases: move the "
                                "step by hand")
    else:
        span_a, span_b = step_number_span(plan_lines, a), step_number_span(plan_lines, b)
    if span_a is None or span_b is None or a.end_line > b.line:
        raise RenameRefused(f"{a.name} and {b.name} cannot be swapped here: "
                            "their numbers are not both written in the plan")
    own_a, own_b = a.key.rpartition("/")[2], b.key.rpartition("/")[2]
    new_number = {a.index: own_b, b.index: own_a}
    group = _group(plan, plan_lines, a) if phased else None

    def named(key: str, lines: list[str]) -> list[tuple[Mention, int | None]]:
        if group is None:
            return [(m, m.step) for m in find_mentions(lines, plan)]
        swapped = {int(own_a), int(own_b)}
        return [(m, n) for m, _, n in _named(plan, group, key, lines, swapped.__contains__,
                                             f"moving {a.name}")]

    def number_edits(key: str, lines: list[str],
                     own: list[tuple[NumberSpan, str]]) -> dict[int, list]:
        by_line: dict[int, dict[int, TextEdit]] = {}
        for span, number in own:
            written = lines[span.line][span.start:span.end]
            by_line.setdefault(span.line, {})[span.start] = TextEdit(
                span.line, span.start, span.end, format_like(written, number))
        for m, named_step in named(key, lines):
            if named_step in new_number and m.num_start not in by_line.get(m.line, {}):
                by_line.setdefault(m.line, {})[m.num_start] = TextEdit(
                    m.line, m.num_start, m.num_end,
                    format_like(m.number, new_number[named_step]))
        return {n: list(edits.values()) for n, edits in by_line.items()}

    out: dict[str, list[TextEdit]] = {}
    for key, lines in files.items():
        edits = [e for es in number_edits(key, lines, []).values() for e in es]
        if edits:
            out[key] = sorted(edits, key=lambda e: (e.line, e.start))
    plan_edits = number_edits("plan", plan_lines, [(span_a, own_b), (span_b, own_a)])

    def renumbered(n: int) -> str:
        line_edits = [TextEdit(0, e.start, e.end, e.text) for e in plan_edits.get(n, [])]
        return apply_edits(plan_lines[n], line_edits)

    a_end = _text_end(plan_lines, a.line, a.end_line)
    b_end = _text_end(plan_lines, b.line, b.end_line)
    region = range(a.line, b_end)
    moved = [renumbered(n) for n in range(b.line, b_end)] + \
        [renumbered(n) for n in range(a_end, b.line)] + \
        [renumbered(n) for n in range(a.line, a_end)]
    edits = [e for n, es in plan_edits.items() if n not in region for e in es]
    for n, new in zip(region, moved):
        if new != plan_lines[n]:
            edits.append(TextEdit(n, 0, len(plan_lines[n]), new))
    out["plan"] = sorted(edits, key=lambda e: (e.line, e.start))
    return out


# --- removing a step ---------------------------------------------------------------------------

_CHECKBOX = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[[ xX]\]")


def remove_step(plan: PlanDoc, step: Step, plan_lines: list[str],
                files: Mapping[str, list[str]]) -> dict[str, list[TextEdit]]:
    """Edits that remove `step` from the plan (its label through the end of its section or
    prompt fence), take one off the numbers of the steps after it and of every mention of
    them, and strike through every mention of the removed step left elsewhere ("Step 3" ->
    "~~Step 3~~"), so that no mention silently comes to name the step that takes its number:
    a struck mention names no step, and the checklist items under it belong to none (the
    diagnostics say so). The checklist's own text stays. Raises RenameRefused for the only
    step, for a step whose section holds checklist boxes (a plan that holds its own
    checklist: removing them would lose the user's progress), or for numbering this cannot
    keep (see _group; in a dotted plan only `step`'s group is renumbered)."""
    if len(plan.steps) < 2:
        raise RenameRefused(f"{step.name} is the plan's only step")
    nxt = plan.steps[step.index + 1] if step.index + 1 < len(plan.steps) else None
    stop = min(step.end_line, len(plan_lines))
    if nxt is not None:
        stop = min(stop, nxt.line)
    for n in range(step.line, stop):
        if _CHECKBOX.match(plan_lines[n]):
            raise RenameRefused(f"{step.name} holds checklist items (line {n + 1}): move or "
                                "delete them first")
    out = _shift(plan, plan_lines, files, step, -1)
    last = len(plan_lines) - 1
    if stop > last:  # the last step: cut from the end of the text before it
        before = step.line - 1
        while before > 0 and not plan_lines[before].strip():
            before -= 1
        cut = TextEdit(before, len(plan_lines[before]), len(plan_lines[last]),
                       "\n" if plan_lines[last] == "" and last > before else "", end_line=last)
        gone = range(before + 1, last + 1)
    else:
        cut = TextEdit(step.line, 0, 0, "", end_line=stop)
        gone = range(step.line, stop)
    group = _group(plan, plan_lines, step)
    for key, lines in {"plan": plan_lines, **files}.items():
        edits = [e for e in out.get(key, []) if key != "plan" or e.line not in gone]
        for m, _, mstep in _named(plan, group, key, lines, lambda n: n >= group.last,
                                  f"removing {step.name}"):
            if mstep == step.index and not (key == "plan" and step.line <= m.line < stop):
                edits.append(TextEdit(m.line, m.start, m.end,
                                      f"~~{lines[m.line][m.start:m.end]}~~"))
        if key == "plan":
            edits.append(cut)
        if edits:
            out[key] = sorted(edits, key=lambda e: (e.line, e.start))
        else:
            out.pop(key, None)
    return out
