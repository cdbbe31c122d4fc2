"""Nothing cited may vanish: deleting a partner, person or source that facts still cite is
refused, naming the records that cite it.

Foreign keys to these models already use `on_delete=PROTECT`. Many-to-many links (a
meeting's partners and participants, a milestone's partners, a commitment's recipients) would
silently lose a row instead, so a `pre_delete` receiver refuses those deletions too, and
`ProtectCitedAdminMixin` lists the citing records on the admin's delete page.
"""

from django.contrib.admin.utils import quote
from django.db.models import ProtectedError
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from cooperation.models import Partner, Person

# Many-to-many relations whose rows would otherwise disappear with the cited record.
M2M_CITERS = {
    Partner: ["meetings", "milestones", "commitments_received"],
    Person: ["meetings"],
}


def citing_records(obj) -> list:
    """The records that cite `obj` through a many-to-many link (foreign keys protect themselves)."""
    found = []
    for related_name in M2M_CITERS.get(type(obj), []):
        found.extend(getattr(obj, related_name).all())
    return found


@receiver(pre_delete, dispatch_uid="concord_protect_cited_records")
def refuse_deleting_cited(sender, instance, **kwargs):
    if sender not in M2M_CITERS:
        return
    citing = citing_records(instance)
    if citing:
        names = "; ".join(f"{capfirst(r._meta.verbose_name)}: {r}" for r in citing[:20])
        raise ProtectedError(
            _("Cannot delete %(record)s: these records cite it: %(names)s")
            % {"record": instance, "names": names},
            set(citing),
        )


def _admin_link(record) -> str:
    opts = record._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(record.pk)])
    except NoReverseMatch:
        return f"{capfirst(opts.verbose_name)}: {record}"
    return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, record)


class ProtectCitedAdminMixin:
    """Adds the many-to-many citers to the admin's 'protected' list, so its delete page
    (and the bulk delete action) refuses with the citing records named, instead of failing."""

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected = list(protected)
        for obj in objs:
            protected.extend(_admin_link(record) for record in citing_records(obj))
        return to_delete, model_count, perms_needed, protected
