"""Existing records get an owner organisation; internal reports become reports of everything."""

from django.db import migrations


# Records existing before sharing by organisation belonged to the one ministry that ran Concord.
MINISTRY = "ministry-of-interior"
RECORDS = ["partner", "person", "meeting", "commitment", "complaintcount", "milestone", "source"]


def owners_and_audiences(apps, schema_editor):
    """Give every existing record an owner (the Ministry of Interior, or the first partner
    when there is none); internal records stay internal, now to that owner. Reports built
    for signed-in users ("internal") become reports of everything. Says what it did."""
    Partner = apps.get_model("cooperation", "Partner")
    owner = Partner.objects.filter(slug=MINISTRY).first() or Partner.objects.order_by("pk").first()
    said = []
    for name in RECORDS:
        unowned = apps.get_model("cooperation", name).objects.filter(owner__isnull=True)
        internal = unowned.exclude(visibility="public").count()
        owned = unowned.update(owner=owner) if owner else 0
        if owned:
            said.append(f"{owned} {name} records now owned by {owner.name} ({internal} internal)")
    Report = apps.get_model("cooperation", "Report")
    everything = Report.objects.filter(audience="internal").update(audience="everything")
    if everything:
        said.append(f"{everything} internal reports are now reports of everything")
    for line in said:
        print(f"\n  0008: {line}", end="")


def everything_back_to_internal(apps, schema_editor):
    Report = apps.get_model("cooperation", "Report")
    Report.objects.filter(audience="organisation").delete()
    Report.objects.filter(audience="everything").update(audience="internal")


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0008_sharing_by_organisation")]

    operations = [migrations.RunPython(owners_and_audiences, everything_back_to_internal)]
