"""Marking the cited passages inside a source's text, with numbered paragraphs."""

import re
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def passage_anchor(item) -> str:
    """The id of a passage's mark on its source page: `passage-c<id>` for citations,
    `passage-u<id>` for commitment updates."""
    prefix = "u" if item._meta.model_name == "commitmentupdate" else "c"
    return f"passage-{prefix}{item.pk}"


def _pattern(passage: str) -> re.Pattern | None:
    words = passage.split()
    if not words:
        return None
    return re.compile(r"\s+".join(re.escape(word) for word in words))


@dataclass
class Highlighted:
    """A source text as HTML, and the paragraph each passage starts in (by anchor)."""

    html: SafeString
    paragraphs: dict[str, int] = field(default_factory=dict)

    def __html__(self):
        return self.html


def highlight_passages(text: str, items) -> Highlighted:
    """The text, escaped, with numbered paragraphs (`para-N`) and each item's passage (first
    occurrence, whitespace-insensitive) wrapped in <mark id=...>. Overlapping passages share
    one mark; later ones get an empty anchor where they begin, so each can be linked to."""
    spans = []
    for item in items:
        pattern = _pattern(item.passage)
        match = pattern.search(text) if pattern else None
        if match:
            spans.append((match.start(), match.end(), passage_anchor(item)))
    spans.sort()
    merged: list[list] = []
    for start, end, anchor in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2].append((start, anchor))
        else:
            merged.append([start, end, [(start, anchor)]])

    # Insertions at text positions, in the order they must appear at the same position.
    inserts: dict[int, list[str]] = {}
    paragraph_starts = [0] + [m.end() for m in re.finditer(r"\n+", text) if m.end() < len(text)]
    for number, position in enumerate(paragraph_starts, start=1):
        inserts.setdefault(position, []).append(
            f'<span class="para-no" id="para-{number}" aria-hidden="true">{number}</span>'
        )
    for start, end, anchors in merged:
        inserts.setdefault(start, []).append(f'<mark id="{anchors[0][1]}">')
        for anchor_start, anchor in anchors[1:]:
            inserts.setdefault(anchor_start, []).append(
                f'<span id="{anchor}" class="anchor"></span>'
            )
        inserts.setdefault(end, []).insert(0, "</mark>")

    out, position = [], 0
    for cut in sorted(inserts):
        out.append(escape(text[position:cut]))
        out.extend(inserts[cut])
        position = cut
    out.append(escape(text[position:]))

    paragraphs = {}
    for start, _end, anchor in spans:
        paragraphs[anchor] = sum(1 for p in paragraph_starts if p <= start)
    return Highlighted(mark_safe("".join(out)), paragraphs)
