"""The source's words an editor most likely meant, when a passage is not verbatim in it.

A citation holds the source's exact words (`models.check_passage_in_source`). When an editor's
words are refused, `closest_passage` looks for the stretch of the source they were copied from,
so the refusal can say what differs and offer the source's words in their place. It reads both
texts alike first: quotation marks, dashes, spaces, letter case, and a paragraph number, an
ellipsis or quotation marks copied along around the passage. When that finds nothing, it takes
the most similar stretch of the source, if it is similar enough (`FUZZY_THRESHOLD`). Nothing
here accepts a passage: the editor still chooses the source's words, and those are checked
again like any passage.
"""

import bisect
import difflib
import functools
import re
from collections import Counter
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import get_text_list
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

DOUBLE_QUOTES = '"“”„‟″«»'
SINGLE_QUOTES = "'‘’‚‛′‹›`´"
DASHES = "-‐‑‒–—―−"

QUOTES = "quotes"
DASH = "dashes"
SPACES = "spaces"
CAPITALS = "capitals"
PARAGRAPH_NUMBER = "paragraph number"
ELLIPSIS = "ellipsis"
OTHER_WORDS = "other words"

# How the refusal says each difference, in the order it lists them.
DIFFERENCES = {
    PARAGRAPH_NUMBER: _("a paragraph number was copied along"),
    ELLIPSIS: _("an ellipsis was added"),
    QUOTES: _("the quotation marks differ"),
    DASH: _("the dashes differ"),
    SPACES: _("the spacing differs"),
    CAPITALS: _("the capital letters differ"),
    OTHER_WORDS: _("some words differ"),
}

# How alike the source's words must be to the editor's, both read alike, to count as the
# passage with a few words changed: difflib's ratio, over characters for a passage of up to
# `CHARACTER_RATIO_LENGTH` (the measure costs the square of the length), over words and marks
# beyond. On the seed's articles a sentence copied with a word or two retyped, dropped or added
# scores 0.91 or more; a sentence written in other words about the same meeting, sharing its
# names and half its words, scores 0.76 at most (tests/test_passages.py holds both kinds).
# 0.8 sits between them, nearer the invented side: a suggestion the editor rejects costs a
# glance, one that is missing costs a search through the source.
FUZZY_THRESHOLD = 0.8
CHARACTER_RATIO_LENGTH = 600
# Below this many characters, a passage resembles too many stretches of any text to pick one.
FUZZY_MIN_LENGTH = 12
# Above it, similarity costs more than a form can wait for; long passages are found only when
# nothing but marks, spaces and case differ.
FUZZY_MAX_LENGTH = 3000

_CANONICAL = str.maketrans(
    {
        **dict.fromkeys(DOUBLE_QUOTES, '"'),
        **dict.fromkeys(SINGLE_QUOTES, "'"),
        **dict.fromkeys(DASHES, "-"),
        **{chr(code): " " for code in range(0x3001) if chr(code).isspace()},
    }
)
# In the canonical text: a dash with the spaces around it, or a run of spaces.
_RUN = re.compile(r" *-+ *| {2,}")
_PARAGRAPH_MARK = re.compile(r"(?:¶\s*\d*[.)]?|\[\d+\]|\(\d+\)|\d+(?:\.\d+)*[.)]?(?=\s))")
ELLIPSES = ("…", "...", "[…]", "[...]", "(…)", "(...)")
_QUOTE_MARK = f"[{re.escape(DOUBLE_QUOTES + SINGLE_QUOTES)}]"
_DASH_MARK = f"[{re.escape(DASHES)}]"
# What the canonical text changes, character for character: marks, and spaces other than " ".
_SPECIAL = re.compile(rf"[^\S ]|{_QUOTE_MARK}|{_DASH_MARK}")
# Words, runs of spaces and single marks: what a difference is marked in.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
# Words and single marks: what similarity is measured in.
_WORD = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class Closest:
    """The source's words an editor most likely meant: `words == text[start:end]` of the
    source's text, and what differs from the editor's `passage`, by name (`reasons`)."""

    words: str
    start: int
    end: int
    reasons: tuple[str, ...]
    passage: str

    def differences(self) -> str:
        """What differs, in words: "the quotation marks differ and the dashes differ"."""
        said = [DIFFERENCES[reason] for reason in DIFFERENCES if reason in self.reasons]
        return get_text_list([str(phrase) for phrase in said], gettext("and"))

    def diff_html(self) -> SafeString:
        """The editor's passage against the source's words, escaped: what only the editor
        wrote in <del>, what only the source has in <ins>."""
        mine, theirs = _TOKEN.findall(self.passage), _TOKEN.findall(self.words)
        # Past a few pages, spaces and common words are left out of the matching, which keeps
        # it fast (difflib's autojunk) at the cost of a coarser mark.
        matcher = difflib.SequenceMatcher(None, mine, theirs, autojunk=len(theirs) > 2000)
        html = []
        for operation, i1, i2, j1, j2 in matcher.get_opcodes():
            removed, added = escape("".join(mine[i1:i2])), escape("".join(theirs[j1:j2]))
            if operation == "equal":
                html.append(added)
                continue
            if removed:
                html.append(f"<del>{removed}</del>")
            if added:
                html.append(f"<ins>{added}</ins>")
        return mark_safe("".join(html))  # every piece is escaped above


def is_verbatim(text: str, passage: str) -> bool:
    """Whether the passage is the text's own words; runs of spaces and line breaks count alike."""
    return " ".join(passage.split()) in " ".join(text.split())


OPENING_QUOTES = "“\"‘'«„"


def quoted(words: str) -> str:
    """Words in quotation marks, unless they open with their own (a quotation cited whole)."""
    return words if words[:1] in OPENING_QUOTES else f"“{words}”"


def refusal_message(title: str, closest: Closest | None) -> str:
    """The error for a passage not verbatim in the source called `title`: what differs and the
    source's words when some are close, otherwise only that the words are not in it."""
    if closest is None:
        return gettext("Passage: these words do not appear verbatim in “%(title)s”.") % {
            "title": title
        }
    return gettext(
        "Passage: these words are not verbatim in “%(title)s”: %(differences)s. "
        "The source has: %(words)s"
    ) % {"title": title, "differences": closest.differences(), "words": quoted(closest.words)}


def closest_passage(text: str, passage: str) -> Closest | None:
    """The passage of `text` the editor most likely meant by `passage`, as an exact slice of
    `text`, or None when no stretch of it is close."""
    passage = passage.strip()
    if not passage or not text:
        return None
    return _closest(text, passage)


@functools.lru_cache(maxsize=16)
def _closest(text: str, passage: str) -> Closest | None:
    # A form checks its passage and its model checks it again: the second asks the cache.
    source = _Canonical(text)
    for core, trimmed in _trimmed(passage):
        found = source.find(_canonical(core))
        if found is not None:
            start, end = found
            words = text[start:end]
            return Closest(words, start, end, _reasons(core, words, trimmed), passage)
    core, trimmed = _trim(passage, (PARAGRAPH_NUMBER, ELLIPSIS))
    found = source.most_similar(_canonical(core))
    if found is None:
        return None
    start, end = found
    words = text[start:end]
    reasons = [*trimmed, *_marks_differ(core, words), OTHER_WORDS]
    return Closest(words, start, end, tuple(r for r in DIFFERENCES if r in reasons), passage)


def _canonical(text: str) -> str:
    """The text with one kind of each quotation mark and dash, single spaces, none beside a
    dash."""
    return _RUN.sub(lambda run: "-" if "-" in run.group() else " ", _translated(text))


def _translated(text: str) -> str:
    """The text with one kind of each quotation mark, dash and space, character for character."""
    return _SPECIAL.sub(lambda mark: mark.group().translate(_CANONICAL), text)


class _Canonical:
    """A text read as `_canonical` reads it, and the way back from its offsets to the
    original's: each run of spaces or dash it collapsed into one character is remembered."""

    def __init__(self, text: str):
        translated = _translated(text)  # as long as the text: offsets are the original's
        self.run_at: list[int] = []  # where each collapsed run is, in the canonical text
        self.run_spans: list[tuple[int, int]] = []  # what it stands for: its dash, or itself
        self.run_ends: list[int] = []  # where the run ends in the original
        removed = 0

        def collapse(run: re.Match) -> str:
            nonlocal removed
            begin, finish = run.span()
            self.run_at.append(begin - removed)
            self.run_ends.append(finish)
            removed += finish - begin - 1
            if "-" in run.group():
                first, last = run.group().index("-"), run.group().rindex("-") + 1
                self.run_spans.append((begin + first, begin + last))
                return "-"
            self.run_spans.append((begin, finish))
            return " "

        self.text = _RUN.sub(collapse, translated)

    @functools.cached_property
    def folded(self) -> str:
        return _fold(self.text)

    def _original(self, at: int, *, end: bool) -> int:
        """Where canonical character `at` starts (or, with `end`, ends) in the original."""
        run = bisect.bisect_right(self.run_at, at) - 1
        if run >= 0 and self.run_at[run] == at:
            return self.run_spans[run][1 if end else 0]
        before = at if run < 0 else self.run_ends[run] + at - self.run_at[run] - 1
        return before + 1 if end else before

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original text's offsets of the canonical characters start..end."""
        return self._original(start, end=False), self._original(end - 1, end=True)

    def find(self, passage: str) -> tuple[int, int] | None:
        """Where the canonical passage is, first as written, then in any letter case."""
        if not passage.strip():
            return None
        at = self.text.find(passage)
        if at == -1:
            at = self.folded.find(_fold(passage))
        return None if at == -1 else self.original(at, at + len(passage))

    def most_similar(self, passage: str) -> tuple[int, int] | None:
        """The stretch of the text most like the canonical passage, from word boundary to word
        boundary, when they are at least `FUZZY_THRESHOLD` alike."""
        needle = _fold(passage)
        if not FUZZY_MIN_LENGTH <= len(needle) <= FUZZY_MAX_LENGTH:
            return None
        tokens = _WORD.findall(needle)
        best, best_ratio = None, FUZZY_THRESHOLD
        for begin, finish in self._windows(needle):
            found = self._aligned(tokens, begin, finish)
            if found is None:
                continue
            (start, end), ratio = found
            if len(needle) <= CHARACTER_RATIO_LENGTH:
                ratio = difflib.SequenceMatcher(
                    None, self.folded[start:end], needle, autojunk=False
                ).ratio()
            if ratio >= best_ratio:
                best, best_ratio = (start, end), ratio
        return None if best is None else self.original(*best)

    def _windows(self, needle: str, count: int = 3) -> list[tuple[int, int]]:
        """Stretches of the text where the passage may lie: where most of its short runs of
        letters fall on one diagonal (a run at passage offset k, found at text offset p, votes
        for a passage starting near p - k)."""
        size = 6 if len(needle) >= 40 else 4
        step = max(1, (len(needle) - size) // 32)
        bucket = 32
        votes: Counter[int] = Counter()
        for offset in range(0, len(needle) - size + 1, step):
            gram = needle[offset : offset + size]
            if not gram.strip():
                continue
            found: list[int] = []
            at = self.folded.find(gram)
            while at != -1 and len(found) <= 64:
                found.append(at)
                at = self.folded.find(gram, at + 1)
            if len(found) <= 64:  # a run found everywhere says nothing about where
                votes.update((at - offset) // bucket for at in found)
        scores = Counter({b: votes[b - 1] + votes[b] + votes[b + 1] for b in votes})
        windows: list[tuple[int, int]] = []
        chosen: list[int] = []
        slack = len(needle) // 4 + bucket
        for b, _score in scores.most_common():
            if any(abs(b - other) <= 2 for other in chosen):
                continue
            chosen.append(b)
            begin = max(0, (b - 1) * bucket - slack)
            windows.append((begin, min(len(self.text), (b + 2) * bucket + len(needle) + slack)))
            if len(windows) == count:
                break
        return windows

    def _aligned(
        self, needle: list[str], begin: int, finish: int
    ) -> tuple[tuple[int, int], float] | None:
        """The words of the window the passage's words line up with, and how alike they are
        (difflib's ratio over words and marks)."""
        found = list(_WORD.finditer(self.folded, begin, finish))
        tokens = [token.group() for token in found]
        matcher = difflib.SequenceMatcher(None, tokens, needle, autojunk=False)
        blocks = [block for block in matcher.get_matching_blocks() if block.size]
        if not blocks:
            return None

        # Stray matches at either end (a "the" far from the rest) widen the stretch more than
        # they add to it: keep the run of blocks whose words are most alike.
        def alike(run: tuple[int, int]) -> float:
            first, last = blocks[run[0]], blocks[run[1]]
            matched = sum(block.size for block in blocks[run[0] : run[1] + 1])
            return 2 * matched / (last.a + last.size - first.a + len(needle))

        ends = range(len(blocks))
        first, last = max(
            ((i, j) for i in ends[:4] for j in ends[max(i, len(blocks) - 4) :]), key=alike
        )
        start = found[blocks[first].a].start()
        end = found[blocks[last].a + blocks[last].size - 1].end()
        return (start, end), alike((first, last))


def _fold(text: str) -> str:
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text


def _without_number(passage: str) -> str:
    mark = _PARAGRAPH_MARK.match(passage)
    return passage[mark.end() :] if mark else passage


def _without_ellipses(passage: str) -> str:
    for ellipsis in ELLIPSES:
        passage = passage.removeprefix(ellipsis).lstrip().removesuffix(ellipsis).rstrip()
    return passage


# What an editor copies along around a passage, and how to leave it out.
_TRIMS = {
    PARAGRAPH_NUMBER: _without_number,
    ELLIPSIS: _without_ellipses,
    QUOTES: lambda passage: passage.strip(DOUBLE_QUOTES + SINGLE_QUOTES),
}


def _trimmed(passage: str) -> list[tuple[str, tuple[str, ...]]]:
    """The passage as written, then without what an editor copies along around the words:
    each combination of trims, fewest first, each with the trims that changed it."""
    combinations: list[tuple[str, ...]] = [()]
    for trim in _TRIMS:
        combinations += [(*combination, trim) for combination in combinations]
    variants: dict[str, tuple[str, ...]] = {}
    for combination in sorted(combinations, key=len):
        core, used = _trim(passage, combination)
        variants.setdefault(core, used)
    return list(variants.items())


def _trim(passage: str, trims: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The passage without the `trims` at either end, as often as they apply, and the trims
    that changed it."""
    core, used = passage, []
    changed = True
    while changed:
        changed = False
        for trim in trims:
            shorter = _TRIMS[trim](core).strip()
            if shorter and shorter != core:
                core, changed = shorter, True
                used.append(trim)
    return core, tuple(dict.fromkeys(used))


def _marks_differ(core: str, words: str) -> list[str]:
    """Quotation marks or dashes of another kind than the source's, in passages that differ in
    other words too."""
    differ = []
    for reason, marks in ((QUOTES, DOUBLE_QUOTES + SINGLE_QUOTES), (DASH, DASHES)):
        mine = [mark for mark in core if mark in marks]
        theirs = [mark for mark in words if mark in marks]
        if mine != theirs and _canonical("".join(mine)) == _canonical("".join(theirs)):
            differ.append(reason)
    return differ


def _reasons(core: str, words: str, trimmed: tuple[str, ...]) -> tuple[str, ...]:
    """What differs between the editor's passage (`core`, once `trimmed`) and the source's
    words, which read alike."""
    reasons = set(trimmed)
    if re.findall(_QUOTE_MARK, core) != re.findall(_QUOTE_MARK, words):
        reasons.add(QUOTES)
    if re.findall(f"{_DASH_MARK}+", core) != re.findall(f"{_DASH_MARK}+", words):
        reasons.add(DASH)
    if re.findall(r"\s+", core) != re.findall(r"\s+", words):
        reasons.add(SPACES)
    if _canonical(core) != _canonical(words):
        reasons.add(CAPITALS)
    return tuple(reason for reason in DIFFERENCES if reason in reasons)
