"""Marking the cited passages inside a source's text."""

import re

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


def highlight_passages(text: str, items) -> SafeString:
    """The text, escaped, with each item's passage (first occurrence, whitespace-insensitive)
    wrapped in <mark id=...>. Overlapping passages share one mark; the later ones get an
    empty anchor where they begin, so every passage can still be linked to."""
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
    out, position = [], 0
    for start, end, anchors in merged:
        out.append(escape(text[position:start]))
        first = anchors[0][1]
        cursor = start
        inner = []
        for anchor_start, anchor in anchors[1:]:
            inner.append(escape(text[cursor:anchor_start]))
            inner.append(f'<span id="{anchor}" class="anchor"></span>')
            cursor = anchor_start
        inner.append(escape(text[cursor:end]))
        out.append(f'<mark id="{first}">{"".join(inner)}</mark>')
        position = end
    out.append(escape(text[position:]))
    return mark_safe("".join(out))
