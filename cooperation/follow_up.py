"""The follow-up marks a commitment carries wherever it shows: overdue, due soon, stale.

The rules are the model's (`Commitment.follow_up`, `overdue_q`, `due_soon_q`, `stale_q`);
this is how a page says them.
"""

from django.conf import settings
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from cooperation.models import Commitment


def mark_label(mark: str) -> str:
    return {
        "overdue": gettext("overdue"),
        "due_soon": gettext("due soon"),
        "stale": gettext("stale"),
    }[mark]


def mark_hint(mark: str) -> str:
    """What the mark means, for its tooltip."""
    if mark == "overdue":
        return gettext("Past its target date and not fulfilled.")
    if mark == "due_soon":
        days = settings.COMMITMENT_DUE_SOON_DAYS
        return ngettext(
            "Open, with its target date within the next %(days)s day.",
            "Open, with its target date within the next %(days)s days.",
            days,
        ) % {"days": days}
    days = settings.COMMITMENT_STALE_DAYS
    return ngettext(
        "Open, with no news of it for more than %(days)s day.",
        "Open, with no news of it for more than %(days)s days.",
        days,
    ) % {"days": days}


def marks_html(commitment: Commitment) -> SafeString:
    """The commitment's marks as small labels, each explaining itself; empty when none."""
    return format_html_join(
        " ",
        '<span class="mark mark-{}" title="{}">{}</span>',
        (
            (mark.replace("_", "-"), mark_hint(mark), mark_label(mark))
            for mark in commitment.follow_up()
        ),
    )
