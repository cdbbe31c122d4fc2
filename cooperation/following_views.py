"""Following pages and endpoints: follow and unfollow buttons, the Following page with the digest
choice, and the digest's one-click unsubscribe. Thin: the work is in `cooperation.following`
and `cooperation.digests`."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from cooperation import digests, following
from cooperation.models import DigestFrequency


class FollowForm(forms.Form):
    """What a follow or unfollow button sends: the kind of record, its id, where to go back."""

    kind = forms.ChoiceField(choices=[(kind, kind) for kind in following.FOLLOWABLE])
    record = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    next = forms.CharField(required=False, max_length=2000)


class DigestForm(forms.Form):
    digest = forms.ChoiceField(
        label=gettext_lazy("Email digest"),
        choices=DigestFrequency.choices,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "What changed in what you follow, and which of its commitments are overdue or due soon."
        ),
    )


def _back(request, fallback: str) -> str:
    """The page the button was on, if it is one of ours; else `fallback`."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe and target.startswith("/") else fallback


def _record_from(request):
    """The record a follow or unfollow button names, or a 404 that does not say whether a
    record the user may not see exists."""
    form = FollowForm(request.POST)
    record = None
    if form.is_valid():
        record = following.followed_record_get(
            user=request.user, kind=form.cleaned_data["kind"], pk=form.cleaned_data["record"]
        )
    if record is None:
        raise Http404(_("No such record, or not one you may see."))
    return record


def _page_of(record) -> str:
    if following.kind_of(record) == "topic":  # a topic has no page of its own
        return reverse("cooperation:following")
    return record.get_absolute_url()


@login_required
@require_POST
def follow(request):
    """Follow the partner, topic or commitment the button names, and go back."""
    record = _record_from(request)
    following.follow(user=request.user, record=record)
    messages.success(
        request, _("You follow %(record)s: it will be in your digest.") % {"record": record}
    )
    return redirect(_back(request, _page_of(record)))


@login_required
@require_POST
def unfollow(request):
    """Stop following the record the button names, and go back."""
    record = _record_from(request)
    following.unfollow(user=request.user, record=record)
    messages.success(request, _("You no longer follow %(record)s.") % {"record": record})
    return redirect(_back(request, _page_of(record)))


@login_required
@require_http_methods(["GET", "POST"])
def following_page(request):
    """What the user follows, a way to follow topics, and how often they hear about it."""
    user = request.user
    if request.method == "POST":
        form = DigestForm(request.POST)
        if form.is_valid():
            following.digest_frequency_set(user=user, frequency=form.cleaned_data["digest"])
            messages.success(request, _("Your digest choice is saved."))
            return redirect("cooperation:following")
    else:
        form = DigestForm(initial={"digest": following.digest_frequency_of(user)})
    context = {
        "following": following.following_of(user=user),
        "topics": following.topics_to_follow(user=user),
        "digest_form": form,
    }
    return render(
        request, "cooperation/following.html", context, status=400 if form.errors else 200
    )


@csrf_exempt  # RFC 8058: a mail client posts the one-click unsubscribe with no token or session
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """The link in every digest: a GET asks to confirm, a POST (the button, or the mail client's
    one-click request) stops the digests. The signed token is the only credential."""
    try:
        user = digests.unsubscribe_user(token)
    except signing.BadSignature:
        return render(request, "cooperation/unsubscribe.html", {"invalid": True}, status=400)
    done = request.method == "POST"
    if done:
        following.digest_frequency_set(user=user, frequency=DigestFrequency.NONE)
    return render(request, "cooperation/unsubscribe.html", {"done": done})
