"""`{% follow_state record as state %}`: whether the signed-in reader follows a record, for the
follow button (`includes/follow_button.html`). Read per request, never inside a cached fragment:
the button is the reader's own."""

from django import template

from cooperation import following

register = template.Library()


@register.simple_tag(takes_context=True)
def follow_state(context, record) -> dict:
    """The record's kind, and whether the reader follows it (one query)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    followed = bool(user) and following.is_following(user=user, record=record)
    return {"kind": following.kind_of(record), "following": followed}
