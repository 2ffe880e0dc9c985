"""Linking checklist items to plan steps, and the progress that follows from the links.

Two kinds of evidence, weighed together:

- numbers: a step number written in the item ("Step 3", "(prompt 2)", "1.2.3 Do x"), in its
  parent items, or in the headings above it ("## Step 3: ...", "## 3. ..."); else a heading
  whose text matches a step's title. A number that names a group of steps ("1.1" when the plan
  has 1.1.1 and 1.1.2) links nothing and is not an error.
- text: the words of the item, its parents, its children and its headings against the words
  of each step's title (weighed most) and prompt, each word weighed by how rare it is among
  the steps (`ContentIndex`).

Many checklists number their own sections (milestones, phases, "1.2" tasks) in a scheme that
is not the plan's. So the numbers are trusted only where the text does not contradict them:
a checklist whose numbered sections mostly disagree with the text is read by text alone, and a
numbered section whose text clearly names another step goes with the text. Where neither
gives a confident answer the item belongs to no step, which is not drift.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from plan_ls.model.plan import (
    _GROUP,
    _LABEL,
    _NUMBERED,
    NUMBER,
    REMOVED_MENTION,
    STEP_WORDS,
    PlanDoc,
    struck,
)
from plan_ls.model.todo import TodoDoc

_ITEM_LEAD = re.compile(rf"^[*_\s]*(?:(?:{STEP_WORDS})\s*#?\s*(?P<num>{NUMBER})(?![\w])"
                        rf"|(?P<dotted>\d+(?:\.\d+)+)(?![\w]))", re.I)
_ITEM_BRACKET = re.compile(rf"[(\[]\s*(?:{STEP_WORDS})\s*#?\s*(?P<num>{NUMBER})\s*[)\]]", re.I)
_ITEM_TAIL = re.compile(rf"[—–:-]\s*(?:{STEP_WORDS})\s*#?\s*(?P<num>{NUMBER})[\s.*_]*$", re.I)
_WORD = re.compile(r"[a-z0-9]+")
_DIGIT = re.compile(r"\d")
_STOP = {"the", "a", "an", "and", "of", "for", "to", "in", "with", "on", "step", "prompt", "phase"}


@dataclass(slots=True)
class Link:
    step: int | None  # index into plan.steps
    how: str  # "item", "parent", "heading", "title", "group", "missing", "removed" or "none"
    named: str | None = None  # the number that was written, linked or not
    named_line: int | None = None  # where it was written (for a missing step's diagnostic)


@lru_cache(maxsize=65536)
def item_number(text: str) -> str | None:
    """A step number written in an item's text, or None."""
    for pattern in (_ITEM_LEAD, _ITEM_BRACKET, _ITEM_TAIL):
        m = pattern.search(text)
        if m:
            found = m.groupdict()
            return found.get("num") or found.get("dotted")
    return None


@lru_cache(maxsize=8192)
def heading_number(text: str) -> str | None:
    """A step number written in a heading ("Step 3", "3. Title"); phases name no step."""
    for m in _LABEL.finditer(text):
        if not struck(text, m.start(), m.end()):  # "~~Step 3~~" names a removed step
            return m.group("num")
    if REMOVED_MENTION.search(text) or _GROUP.match(text):
        return None
    m = _NUMBERED.match(text)
    return m.group("num") if m else None


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP and not w.isdigit())


def link_items(todo: TodoDoc, plan: PlanDoc | None) -> list[Link]:
    """One link per checklist item (same order as `todo.items`); see the module docstring."""
    if plan is None or not plan.steps:
        return [Link(None, "none") for _ in todo.items]
    by_number = _number_links(todo, plan)
    return _unlink_removed(todo, _weigh_with_text(todo, plan, by_number))


def _unstrike(text: str) -> str:
    """`text` with its struck step mentions written plainly ("~~Step 3~~" -> "Step 3")."""
    return REMOVED_MENTION.sub(lambda m: m.group(0)[2:-2], text) if "~~" in text else text


def _unlink_removed(todo: TodoDoc, links: list[Link]) -> list[Link]:
    """Items that name a removed step ("~~Step 3~~", what *Remove step* leaves) where an item
    names its step (the places `item_number` reads), in a parent or in the nearest numbered
    heading above them, belong to no step, whatever their words say: how "removed", for a diagnostic that asks the user where they go."""
    out: list[Link] = []
    heading_removed: dict[int, Link | None] = {}

    def under_heading(h_idx: int | None) -> Link | None:
        while h_idx is not None:
            if h_idx not in heading_removed:
                h = todo.headings[h_idx]
                was = heading_number(_unstrike(h.text))
                if heading_number(h.text) is not None:
                    heading_removed[h_idx] = None  # a live number: not the removed step's
                elif was is not None:
                    heading_removed[h_idx] = Link(None, "removed", was, h.line)
                else:
                    h_idx = todo.heading_parent[h_idx]
                    continue
            return heading_removed[h_idx]
        return None

    for item, link in zip(todo.items, links):
        got = link
        if item_number(item.text) is None:
            was = item_number(_unstrike(item.text))
            if was is not None:  # struck where the item names its step, not in its prose
                got = Link(None, "removed", was, item.line)
            elif item.parent is not None and out[item.parent].how == "removed":
                got = out[item.parent]
            elif item.parent is None:
                got = under_heading(item.heading) or link
        out.append(got)
    return out


def links_in_plan(todo: TodoDoc, plan: PlanDoc | None) -> list[Link]:
    """One link per item of a checklist parsed from the plan's own text: each box belongs to
    the step whose section holds it (how "inside"); a box before the first step, or in a
    closing section that is no step, belongs to none."""
    out: list[Link] = []
    for item in todo.items:
        step = plan.step_at(item.line) if plan is not None else None
        out.append(Link(step.index, "inside") if step is not None else Link(None, "none"))
    return out


def _number_links(todo: TodoDoc, plan: PlanDoc) -> list[Link]:
    title_words = [(_words(s.title), s.index) for s in plan.steps if s.title]
    heading_links: dict[int, Link] = {}

    def via_number(number: str, how: str, line: int) -> Link:
        step = plan.find(number)
        if step is not None:
            return Link(step.index, how, number, line)
        if plan.has_group(number):
            return Link(None, "group", number, line)
        return Link(None, "missing", number, line)

    def for_heading(h_idx: int | None) -> Link:
        if h_idx is None:
            return Link(None, "none")
        cached = heading_links.get(h_idx)
        if cached is not None:
            return cached
        h = todo.headings[h_idx]
        number = heading_number(h.text)
        if number is not None:
            link = via_number(number, "heading", h.line)
            if link.how == "missing":  # a plan renumbered under the checklist: try the title
                by_title = _by_title(h.text, title_words)
                if by_title is not None:
                    link = Link(by_title.step, "title", number, h.line)
        else:
            link = for_heading(todo.heading_parent[h_idx])
            if link.how in ("none", "group"):
                # a heading with a number of its own ("Milestone 5 – Canvas Renderer") may
                # group several steps: only one with no number at all is read loosely
                link = _by_title(h.text, title_words, loose=not _DIGIT.search(h.text)) or link
        heading_links[h_idx] = link
        return link

    links: list[Link] = []
    for item in todo.items:
        number = item_number(item.text)
        if number is not None:
            link = via_number(number, "item", item.line)
        elif item.parent is not None:
            parent = links[item.parent]
            link = parent if parent.how != "item" else Link(parent.step, "parent", parent.named,
                                                          parent.named_line)
            if link.how in ("none", "group"):
                link = for_heading(item.heading) if link.how == "none" else link
        else:
            link = for_heading(item.heading)
        links.append(link)
    return links


def _by_title(text: str, title_words: list[tuple[frozenset[str], int]],
              loose: bool = False) -> Link | None:
    """The step whose title a heading names: most of the words of both in common, or, when
    `loose` (for a heading that reorders or adds to a title: "Final Integration & Release"
    over the step "Integration & Final Testing"), at least two words and two thirds of one
    title, which no other title matches as well."""
    words = _words(text)
    if not words:
        return None
    best, best_score, best_cover, tie = None, 0.0, 0.0, False
    for tw, idx in title_words:
        if not tw:
            continue
        common = len(words & tw)
        score = common / len(words | tw)
        if score > best_score:
            best, best_score = idx, score
        cover = common / len(tw) if common >= 2 else 0.0
        if cover > best_cover:
            best_cover, tie, by_cover = cover, False, idx
        elif cover and cover == best_cover:
            tie = True
    if best is not None and best_score >= 0.6:
        return Link(best, "title")
    if loose and best_cover >= 2 / 3 and not tie:
        return Link(by_cover, "title")
    return None


# --- linking by text --------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[^\W\d_]+")
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*")  # CamelCase identifiers whole
_STOPWORDS = frozenset("""
a an the and or of for to in into on at by with from as is are be been it its this that these
those all any each every some no not only also than then so such via per up out over under
do does done make makes made use uses using used add adds added create creates set sets setup
implement implements implemented implementation write writes written ensure ensures basic new
initial simple first next final all step steps prompt prompts task tasks phase todo item items
checklist test tests testing unit units file files code support handle handling work working
should must will can may e g i ie eg etc x
""".split())


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def text_words(text: str) -> frozenset[str]:
    """The content words of a text: lower-case, stemmed, CamelCase split (and kept whole),
    without stop words and numbers."""
    words = {m.lower() for m in _IDENT.findall(text)}
    words.update(t.lower() for t in _TOKEN.findall(text))
    return frozenset(_stem(w) for w in words if len(w) > 1 and w not in _STOPWORDS)


class ContentIndex:
    """The words of every step (title and prompt), each weighed by its rarity among steps."""

    TITLE, BODY = 1.0, 0.5

    def __init__(self, plan: PlanDoc) -> None:
        per_step: list[dict[str, float]] = []
        df: dict[str, int] = {}
        for step in plan.steps:
            weights: dict[str, float] = {}
            for w in text_words(step.prompt_text[:6000]):
                weights[w] = self.BODY
            for w in text_words(step.title):
                weights[w] = weights.get(w, 0.0) + self.TITLE
            per_step.append(weights)
            for w in weights:
                df[w] = df.get(w, 0) + 1
        n = len(plan.steps)
        # scores in units of "a word only one step has, in a plan of a dozen steps", so that
        # the thresholds mean the same for a plan of 4 steps and one of 60
        unit = math.log(13) / math.log(1 + n) if n else 1.0
        self.idf = {w: unit * math.log(1 + n / d) for w, d in df.items()}
        self.index: dict[str, list[tuple[int, float]]] = {}
        self._cache: dict[str, dict[int, float]] = {}
        for idx, weights in enumerate(per_step):
            for w, tw in weights.items():
                if n >= 4 and df[w] * 2 > n:
                    continue  # a word most steps use tells them apart from nothing
                self.index.setdefault(w, []).append((idx, tw * self.idf[w]))

    def scores(self, text: str) -> dict[int, float]:
        """Per step index, how strongly the words of a text point at it (cached per text)."""
        cached = self._cache.get(text)
        if cached is None:
            cached = {}
            for w in text_words(text):
                for idx, value in self.index.get(w, ()):
                    cached[idx] = cached.get(idx, 0.0) + value
            self._cache[text] = cached = cached or _NO_SCORES  # most texts meet no step
        return cached


_NO_SCORES: dict[int, float] = {}  # shared, never written to


def _add(acc: dict[int, float], scores: dict[int, float], weight: float) -> None:
    for idx, value in scores.items():
        acc[idx] = acc.get(idx, 0.0) + weight * value


# How context weighs against an item's own words
_PARENT, _CHILDREN, _HEADING, _OUTER_HEADING = 0.5, 0.3, 0.6, 0.25
_MIN_SCORE = 1.5  # about one word that only one or two steps use, in a title
_MARGIN = 1.3  # the best step must beat the second by this factor


def _best(scores: dict[int, float]) -> tuple[int | None, float, float]:
    best, first, second = None, 0.0, 0.0
    for idx, value in scores.items():
        if value > first:
            best, first, second = idx, value, first
        elif value > second:
            second = value
    return best, first, second


def _confident(first: float, second: float) -> bool:
    return first >= _MIN_SCORE and first >= _MARGIN * second


def content_index(plan: PlanDoc) -> ContentIndex:
    """The plan's ContentIndex, built once per parsed plan."""
    if not isinstance(plan.content, ContentIndex):
        plan.content = ContentIndex(plan)
    return plan.content


def words_matter(plan: PlanDoc, old: str, new: str) -> bool:
    """Whether changing an item's text from `old` to `new` can change any link: its step
    number, or its words that some step uses (other words score nothing anywhere)."""
    if item_number(old) != item_number(new):
        return True
    vocabulary = content_index(plan).index
    return {w for w in text_words(old) if w in vocabulary} != \
        {w for w in text_words(new) if w in vocabulary}


def _weigh_with_text(todo: TodoDoc, plan: PlanDoc, by_number: list[Link]) -> list[Link]:
    index = content_index(plan)
    items = todo.items
    children: dict[int, list[int]] = {}
    for item in items:
        if item.parent is not None:
            children.setdefault(item.parent, []).append(item.index)
    heading_scores: list[dict[int, float] | None] = [None] * len(todo.headings)

    def for_heading(h: int) -> dict[int, float]:
        got = heading_scores[h]
        if got is None:
            got = heading_scores[h] = index.scores(todo.headings[h].text)
        return got

    blocks = todo.blocks
    list_at = {li.line: k for k, li in enumerate(blocks.items)}  # the innermost at a line
    content: list[tuple[int | None, float, float, dict[int, float]]] = []
    for item in items:
        if item.parent is not None:  # sub-tasks follow their parent (their words count there)
            content.append((None, 0.0, 0.0, {}))
            continue
        scores = dict(index.scores(item.text))
        # list items without a box around it ("1. **Set up the store**" over its boxes) are
        # the item's sub-heading
        li = list_at.get(item.line)
        up = blocks.items[li].parent if li is not None else None
        while up is not None and blocks.items[up].line not in todo.by_line:
            _add(scores, index.scores(blocks.lines[blocks.items[up].line]), _HEADING)
            up = blocks.items[up].parent
        kids = children.get(item.index, ())
        for child in kids:
            _add(scores, index.scores(items[child].text), _CHILDREN / max(1, len(kids)) * 2)
        h = item.heading
        weight = _HEADING
        while h is not None:
            _add(scores, for_heading(h), weight)
            weight = _OUTER_HEADING
            h = todo.heading_parent[h]
        content.append((*_best(scores), scores))
    trusted = _number_trust(todo, by_number, content)
    trust = sum(trusted.values()) * 2 > len(trusted)  # the checklist as a whole
    # top-level items first: numbers where trusted and not contradicted, else text
    chosen: list[Link | None] = [None] * len(items)
    for item, link, (best, first, second, scores) in zip(items, by_number, content):
        if item.parent is not None:
            continue
        by_text = best if _confident(first, second) else None
        here = trusted.get(_scope(todo, item.heading), False)
        if link.step is not None and (here or link.how == "title"):  # a heading = a title
            numbered = scores.get(link.step, 0.0)
            if by_text is None or by_text == link.step or numbered >= 0.5 * first \
                    or first < 2 * _MIN_SCORE:  # only clear words overrule a number
                chosen[item.index] = link
                continue
        if here and link.how in ("missing", "group"):
            chosen[item.index] = link  # a trusted number that names no step (or a group)
        elif by_text is not None:
            chosen[item.index] = Link(by_text, "content")
    tops = [i.index for i in items if i.parent is None]
    if len(tops) * len(plan.steps) <= _ALIGN_LIMIT and \
            any(chosen[i] is None or chosen[i].how == "content" for i in tops):
        outside = _outside_sections(todo, plan, tops, for_heading, trust)
        # the plan's own status agrees with the checklist's: work checked off fits a step the
        # plan says is done (a collapsed "Prompts 1-10: COMPLETED" has few words to match)
        finished = {i for i in tops if items[i].done}
        marked = [s.index for s in plan.steps if s.marked_done]
        _align(tops, chosen, content, outside, trust, finished, marked)
    else:
        _keep_in_order(chosen)
    # then nested items: their own step number, else their parent's step
    out: list[Link] = []
    for item, link in zip(items, by_number):
        got = chosen[item.index]
        if item.parent is not None:  # a sub-task is part of its parent's work
            up = out[item.parent]
            if link.how == "item" and link.step is not None \
                    and trusted.get(_scope(todo, item.heading), False):
                got = link
            elif up.step is not None:
                got = Link(up.step, "parent", up.named, up.named_line)
        out.append(got or Link(None, "none"))
    return out


# The alignment: each top-level item is a step or none, in document order.
_ALIGN_LIMIT = 400_000  # items x steps; past it, the cheaper run-keeping below
_NONE = 3.0  # what an item earns by belonging to no step: the text must beat it
_STAY = 0.5  # an item next to one of the same step: checklists go step by step
_FORWARD = 0.5  # moving on to a later step
_BACKWARD = 5.0  # going back to an earlier step: only strong text does that
_NUMBER = 6.0  # a trusted step number that the text does not contradict
_MARKED = 3.5  # a done item in a step the plan marks done: a little more than belonging nowhere
_OUTSIDE = 50.0  # an item in a section of no step (in a checklist whose sections name steps)


def _outside_sections(todo: TodoDoc, plan: PlanDoc, tops: list[int], for_heading,
                      trust: bool) -> set[int]:
    """Top-level items in sections that belong to no step, in a checklist whose sections
    mostly do: the prerequisites before the steps, the backlog and the release list after
    them. A section belongs to a step when its heading (or an enclosing one) names the step
    by a trusted number or by its title's words alone."""
    linked: list[bool] = []
    title_words = [(_words(s.title), s.index) for s in plan.steps if s.title]
    for h, heading in enumerate(todo.headings):
        number = heading_number(heading.text)
        best, first, second = _best(for_heading(h))
        if trust:  # the checklist numbers its step sections: an unnumbered one is another list
            ok = (number is not None and plan.find(number) is not None) or (
                _confident(first, second) and first >= 2 * _MIN_SCORE) or (
                not _DIGIT.search(heading.text) and _by_title(heading.text, title_words, loose=True))
        else:  # by words: a heading that shares none with any step
            ok = first >= _MIN_SCORE
        parent = todo.heading_parent[h]
        linked.append(ok or (parent is not None and linked[parent]))
    items = todo.items
    under = [items[i].heading for i in tops]
    inside = sum(1 for h in under if h is not None and linked[h])
    distinct = {h for h in under if h is not None and linked[h]}
    if len(distinct) < 2 or inside < 0.6 * len(tops):
        return set()
    return {i for i, h in zip(tops, under) if h is None or not linked[h]}


def _align(tops: list[int], chosen: list[Link | None], content, outside: set[int],
           trust: bool, finished: set[int] = frozenset(), marked: list[int] = ()) -> None:
    """Choose every top-level item's step (or none) at once: the text's score for the step,
    plus the order in which checklists walk through plans (the same step, or the next ones;
    seldom back), plus the numbers that were trusted, plus agreement with the plan's own
    status (`finished` items, in steps the plan `marked` done). A Viterbi pass over (last
    step seen)."""
    size = 1 + max((idx for i in tops for idx in content[i][3]), default=-1)
    if finished and marked:
        size = max(size, max(marked) + 1)
    for i in tops:
        link = chosen[i]
        if link is not None and link.step is not None:
            size = max(size, link.step + 1)
    if size == 0:
        return
    neg = float("-inf")
    # value[j + 1]: best total with j the last step so far (j = -1: none yet)
    value = [0.0] + [neg] * size
    back: list[list[tuple[int, bool]]] = []  # per item, per state: (previous state, is step)
    for i in tops:
        scores = content[i][3]
        emit = dict(scores)
        link = chosen[i]
        if link is not None and link.step is not None and link.how != "content":
            emit[link.step] = emit.get(link.step, 0.0) + _NUMBER
        if i in finished:
            for s in marked:
                emit[s] = emit.get(s, 0.0) + _MARKED
        none = _NONE
        if i in outside or (link is not None and link.step is None and link.how != "content"):
            # a section of no step, or a trusted number that names nothing
            none += _OUTSIDE if i in outside and trust else _NUMBER
        new = [v + none for v in value]  # none: the last step stays what it was
        ptr = [(j, False) for j in range(size + 1)]
        # best previous state strictly before / after each step
        prefix = [neg] * (size + 1)
        prefix_at = [0] * (size + 1)
        best_v, best_at = value[0], 0
        for j in range(size):
            prefix[j] = best_v  # states -1..j-1, i.e. indexes 0..j
            prefix_at[j] = best_at
            if value[j + 1] > best_v:
                best_v, best_at = value[j + 1], j + 1
        suffix_v, suffix_at = neg, 0
        suffix = [neg] * size
        suffix_where = [0] * size
        for j in range(size - 1, -1, -1):
            suffix[j], suffix_where[j] = suffix_v, suffix_at
            if value[j + 1] > suffix_v:
                suffix_v, suffix_at = value[j + 1], j + 1
        for s in range(size):
            e = emit.get(s, 0.0)
            options = (
                (value[s + 1] + _STAY, s + 1),
                (prefix[s] - _FORWARD, prefix_at[s]),
                (suffix[s] - _BACKWARD, suffix_where[s]),
            )
            v, at = max(options)
            if v + e > new[s + 1]:
                new[s + 1] = v + e
                ptr[s + 1] = (at, True)
        value = new
        back.append(ptr)
    state = max(range(size + 1), key=lambda j: value[j])
    for k in range(len(tops) - 1, -1, -1):
        prev, is_step = back[k][state]
        i = tops[k]
        link = chosen[i]
        if not is_step:
            if link is not None and link.step is not None:
                chosen[i] = None
        elif link is None or link.step != state - 1:
            chosen[i] = Link(state - 1, "content")
        state = prev


def _keep_in_order(chosen: list[Link | None]) -> None:
    """Steps follow each other down a checklist. Keep the heaviest run of links whose steps
    never go back (a number counts more than text), and drop the text links off that run:
    an item whose words happen to meet a step out of order (a backlog, a final review list)
    is a coincidence, not a link."""
    seq = [(i, link.step, 3 if link.how != "content" else 1)
           for i, link in enumerate(chosen) if link is not None and link.step is not None]
    if not any(w == 1 for _, _, w in seq):
        return
    # heaviest non-decreasing subsequence by step index, with a Fenwick tree of prefix maxima
    size = max(step for _, step, _ in seq) + 1
    tree: list[tuple[int, int]] = [(0, -1)] * (size + 1)  # (run weight, position in seq)
    prev: list[int] = [-1] * len(seq)
    weight: list[int] = [0] * len(seq)
    for pos, (_, step, w) in enumerate(seq):
        best, k = (0, -1), step + 1
        while k > 0:  # the best run ending at a step <= this one
            if tree[k][0] > best[0]:
                best = tree[k]
            k -= k & -k
        weight[pos], prev[pos] = best[0] + w, best[1]
        k = step + 1
        while k <= size:
            if weight[pos] > tree[k][0]:
                tree[k] = (weight[pos], pos)
            k += k & -k
    pos = max(range(len(seq)), key=lambda p: weight[p])
    keep: set[int] = set()
    while pos >= 0:
        keep.add(seq[pos][0])
        pos = prev[pos]
    for i, _step, w in seq:
        if i not in keep and w == 1:
            chosen[i] = None


def _number_trust(todo: TodoDoc, by_number: list[Link], content) -> dict[int | None, bool]:
    """Per scope (the outermost heading above an item; None before any), whether the
    checklist numbers its sections the way the plan numbers its steps: most number-linked
    items whose text points somewhere point at the numbered step. A scope that numbers its
    sections bare ("## 1. Beans") and whose words never meet the steps they number is
    another list, with numbers of its own."""
    lines = todo.blocks.lines
    tally: dict[int | None, list[int]] = {}  # scope -> [agree, disagree, numbered, supported]
    labelled_cache: dict[int, bool] = {}

    def labelled(line: int | None) -> bool:
        if line is None:
            return False
        got = labelled_cache.get(line)
        if got is None:
            got = labelled_cache[line] = bool(_LABEL.search(lines[line]))
        return got

    for item, link, (best, first, second, scores) in zip(todo.items, by_number, content):
        scope = _scope(todo, item.heading)
        t = tally.setdefault(scope, [0, 0, 0, 0])
        if link.how == "missing" and not labelled(link.named_line):
            t[1] += 1
        if link.step is None or link.how == "title":
            continue
        t[2] += 1
        if labelled(link.named_line) or scores.get(link.step, 0.0) > 0:
            t[3] += 1
        if not _confident(first, second):
            continue
        if best == link.step or scores.get(link.step, 0.0) >= 0.5 * first:
            t[0] += 1
        else:
            t[1] += 1
    return {scope: numbered > 0 and supported > 0 and agree >= disagree
            for scope, (agree, disagree, numbered, supported) in tally.items()}


def _scope(todo: TodoDoc, heading: int | None) -> int | None:
    """The outermost heading above a section that has one ("# Shopping list" over
    "## 1. Beans"); None for the sections at the top of the document."""
    if heading is None or todo.heading_parent[heading] is None:
        return None
    while todo.heading_parent[heading] is not None:
        heading = todo.heading_parent[heading]
    return heading
