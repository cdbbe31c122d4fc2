"""The kinds of record an import file may hold, each with its columns and the key its rows are
matched on (so that importing a file twice changes nothing the second time).

Column names are the model's field names. Links name records by slug (a source by its
reference, a commitment by its id); several links are separated by semicolons. Cited kinds
carry their provenance: the source (`source`, an existing reference, or `source_title`,
`source_publisher`, `source_date` and `source_text` for one made in the same import) and the
verbatim `passage`.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from cooperation import small_counts, tables
from cooperation.imports.columns import (
    Column,
    attribute,
    boolean,
    choice,
    decimal,
    first_citation,
    iso_date,
    key_list,
    linked,
    linked_many,
    text,
    whole_number,
)
from cooperation.models import (
    Commitment,
    CommitmentKind,
    CommitmentStatus,
    CommitmentUpdate,
    ComplaintCount,
    DatePrecision,
    Inference,
    Meeting,
    Milestone,
    MilestoneKind,
    Partner,
    PartnerKind,
    Person,
    Pillar,
    Source,
    Topic,
    Visibility,
)

CITATION = "citation"  # the row's source and passage are cited for the record
FIELDS = "fields"  # the row's source and passage are fields of the record itself


@dataclass(frozen=True)
class Kind:
    """One kind of record an import writes: its columns, the columns its rows are matched on
    (`key`; an `id` column, when the file has one, matches first), and where its provenance
    goes. `table` is its list page's table: the columns that export adds for people to read
    are let through and ignored."""

    name: str
    model: type[models.Model]
    label: object
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    provenance: str = ""
    table: type | None = None
    append_only: bool = False

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    def may_import(self, user) -> bool:
        """Whether this user may import this kind: they may add such records."""
        opts = self.model._meta
        return user.has_perm(f"{opts.app_label}.add_{opts.model_name}")


def plain(name, help, *, required=False, parse=text, example="", hxl="", allowed="", export=True):
    return Column(
        name=name,
        parse=parse,
        help=help,
        required=required,
        field=name,
        example=example,
        hxl=hxl,
        allowed=allowed,
        export=(export if callable(export) else attribute(name)) if export else None,
    )


def picked(name, help, choices, *, required=False, example="", hxl=""):
    return Column(
        name=name,
        parse=choice(choices),
        help=help,
        required=required,
        field=name,
        allowed=", ".join(str(value) for value in choices.values if value),
        example=example or str(choices.values[0]),
        export=attribute(name),
        hxl=hxl,
    )


def dated(name, help, *, required=False, example="2024-03-31", hxl="#date", export=True):
    return plain(
        name,
        help,
        required=required,
        parse=iso_date,
        example=example,
        hxl=hxl,
        allowed="YYYY-MM-DD",
        export=export,
    )


def link(name, help, model, *, required=False, key="slug", many=False, example="", export=None):
    return Column(
        name=name,
        parse=key_list if many else whole_number if key == "pk" else text,
        help=help,
        required=required,
        field=name,
        link=model,
        link_key=key,
        many=many,
        allowed=_("slugs separated by ;") if many else "",
        example=example,
        export=export,
    )


def record_id():
    return Column(
        name="id",
        parse=whole_number,
        help=_("The record's number in Concord (as its export gives it); blank for a new one."),
        export=attribute("pk"),
        hxl="#meta+id",
    )


def sharing():
    return (
        picked("visibility", _("Who may read the record."), Visibility, hxl="#meta+visibility"),
        link(
            "owner",
            _("The organisation that keeps it, by slug; by default your own."),
            Partner,
        ),
    )


def uncertain_date(help):
    return (
        dated("date", help),
        picked("date_precision", _("How precise the date is."), DatePrecision),
        picked("date_inferred", _("Whether the date was inferred; blank when stated."), Inference),
        plain("date_note", _("How the date was inferred.")),
    )


def plan_pillar():
    return (
        Column(
            name="pillar",
            parse=choice(Pillar, blank=True),
            help=_("The action-plan pillar the record serves; blank when not classified."),
            field="pillar",
            allowed=", ".join(Pillar.values),
            example="prevention",
            export=attribute("pillar"),
        ),
        plain(
            "pillar_note",
            _("What in the sources places the record under its pillar; only with a pillar."),
        ),
    )


def provenance(*, export=True):
    return (
        link(
            "source",
            _("The source's reference: an existing source, or the one the source_ columns make."),
            Source,
            key="reference",
            example="moi-press-release-2024-03",
            export=first_citation("source") if export else None,
        ),
        plain("source_title", _("Title of a new source."), export=False),
        plain("source_publisher", _("Publisher of a new source."), export=False),
        dated("source_date", _("Publication date of a new source."), hxl="", export=False),
        plain("source_text", _("Full text of a new source."), export=False),
        Column(
            name="passage",
            parse=text,
            help=_("The source's words the row rests on, verbatim."),
            example="The Ministry met IOM on 31 March 2024.",
            export=first_citation("passage") if export else None,
            hxl="#meta+passage",
        ),
    )


TOPIC = Kind(
    name="topic",
    model=Topic,
    label=_("topics"),
    key=("slug",),
    columns=(
        plain("slug", _("Unique short name."), required=True, example="border-control"),
        plain("name", _("Name."), required=True, example="Border control"),
        plain("description", _("What it covers.")),
    ),
)

SOURCE = Kind(
    name="source",
    model=Source,
    label=_("sources"),
    key=("reference",),
    columns=(
        plain(
            "reference",
            _("A stable reference, such as the file name."),
            required=True,
            example="moi-press-release-2024-03",
        ),
        plain(
            "title",
            _("Title."),
            required=True,
            example="Press release, March 2024",
            hxl="#meta+title",
        ),
        plain(
            "text", _("Full text."), required=True, example="The Ministry met IOM on 31 March 2024."
        ),
        plain("publisher", _("Publisher; blank when the document does not say."), hxl="#org"),
        dated("published_on", _("Publication date."), hxl="#date+published"),
        plain("url", _("Address.")),
        plain("notes", _("What the document leaves out.")),
        *sharing(),
    ),
)

PARTNER = Kind(
    name="partner",
    model=Partner,
    label=_("partners"),
    key=("slug",),
    provenance=CITATION,
    table=tables.PartnerTable,
    columns=(
        plain("slug", _("Unique short name."), required=True, example="iom", hxl="#org+code"),
        plain(
            "name",
            _("Name."),
            required=True,
            example="International Organization for Migration",
            hxl="#org+name",
        ),
        picked(
            "kind",
            _("What kind of organisation."),
            PartnerKind,
            required=True,
            example="igo",
            hxl="#org+type",
        ),
        plain("short_name", _("Short name."), example="IOM", hxl="#org+acronym"),
        plain(
            "country",
            _("ISO 3166-1 alpha-2 code; blank for international bodies."),
            hxl="#country+code",
        ),
        link("parent", _("The partner it is part of, by slug."), Partner, export=linked("parent")),
        plain("description", _("Description.")),
        *sharing(),
        *provenance(),
    ),
)

PERSON = Kind(
    name="person",
    model=Person,
    label=_("people"),
    key=("slug",),
    provenance=CITATION,
    columns=(
        plain("slug", _("Unique short name."), required=True, example="jane-doe"),
        plain("name", _("Name."), required=True, example="Jane Doe", hxl="#contact+name"),
        link(
            "partner",
            _("The partner they act for, by slug."),
            Partner,
            required=True,
            example="iom",
        ),
        plain(
            "role", _("Role, as the source states it."), required=True, example="Chief of Mission"
        ),
        *sharing(),
        *provenance(),
    ),
)

MEETING = Kind(
    name="meeting",
    model=Meeting,
    label=_("meetings"),
    key=("slug",),
    provenance=CITATION,
    table=tables.MeetingTable,
    columns=(
        plain(
            "slug",
            _("Unique short name."),
            required=True,
            example="moi-iom-2024-03-31",
            hxl="#meta+code",
        ),
        plain(
            "title",
            _("Title."),
            required=True,
            example="Ministry of Interior meets IOM",
            hxl="#meta+title",
        ),
        plain("summary", _("What was discussed."), required=True, example="Return of victims."),
        link(
            "partners",
            _("The partners who took part (one at least), by slug."),
            Partner,
            required=True,
            many=True,
            example="ministry-of-interior; iom",
            export=linked_many("partners"),
        ),
        link("participants", _("The people who took part, by slug."), Person, many=True),
        link("topics", _("Topics, by slug."), Topic, many=True, export=linked_many("topics")),
        *uncertain_date(_("When it took place.")),
        plain("location", _("Where."), hxl="#loc+name"),
        plain("outcome", _("What came of it.")),
        *plan_pillar(),
        *sharing(),
        *provenance(),
    ),
)

COMMITMENT = Kind(
    name="commitment",
    model=Commitment,
    label=_("commitments"),
    key=("made_by", "title"),
    provenance=CITATION,
    table=tables.CommitmentTable,
    columns=(
        record_id(),
        plain(
            "title",
            _("What was committed to."),
            required=True,
            example="Train 200 officers",
            hxl="#activity+name",
        ),
        link(
            "made_by",
            _("The partner who made it, by slug."),
            Partner,
            required=True,
            example="ministry-of-interior",
            export=linked("made_by"),
        ),
        link(
            "made_to",
            _("The partners it was made to, by slug."),
            Partner,
            many=True,
            export=linked_many("made_to"),
        ),
        link("topics", _("Topics, by slug."), Topic, many=True, export=linked_many("topics")),
        plain("description", _("Description.")),
        picked("kind", _("What kind of commitment."), CommitmentKind),
        link("made_by_person", _("Who voiced it, by slug."), Person),
        link(
            "meeting", _("The meeting it was made at, by slug."), Meeting, export=linked("meeting")
        ),
        dated("target_date", _("When it is due."), hxl="#date+target"),
        *uncertain_date(_("When it was made.")),
        *plan_pillar(),
        *sharing(),
        *provenance(),
    ),
)

COMMITMENT_UPDATE = Kind(
    name="commitment_update",
    model=CommitmentUpdate,
    label=_("commitment status updates"),
    key=("commitment", "status", "date", "source", "passage"),
    provenance=FIELDS,
    append_only=True,
    columns=(
        link(
            "commitment",
            _("The commitment's id (the id column of the commitments export)."),
            Commitment,
            required=True,
            key="pk",
            example="1",
        ),
        picked(
            "status",
            _("Where the commitment stands."),
            CommitmentStatus,
            required=True,
            example="in_progress",
        ),
        *uncertain_date(_("When it stood so.")),
        plain("note", _("Note.")),
        *provenance(export=False),
    ),
)

COMPLAINT_COUNT = Kind(
    name="complaintcount",
    model=ComplaintCount,
    label=_("complaint counts"),
    key=("received_by", "period_start", "period_end"),
    provenance=CITATION,
    table=tables.ComplaintCountTable,
    columns=(
        record_id(),
        link(
            "received_by",
            _("The partner who received them, by slug."),
            Partner,
            required=True,
            example="ministry-of-interior",
            export=linked("received_by"),
        ),
        dated(
            "period_start",
            _("First day of the period."),
            required=True,
            example="2024-01-01",
            hxl="#date+start",
        ),
        dated(
            "period_end",
            _("Last day of the period."),
            required=True,
            example="2024-03-31",
            hxl="#date+end",
        ),
        plain(
            "count",
            _("Complaints received; zero or more."),
            required=True,
            parse=whole_number,
            example="42",
            hxl="#affected+num",
            allowed=_("0 or more"),
            export=small_counts.exported(attribute("count")),
        ),
        picked(
            "period_inferred", _("Whether the period was inferred; blank when stated."), Inference
        ),
        plain("period_note", _("How the period was inferred.")),
        plain(
            "approximate",
            _("The source gives a rough figure."),
            parse=boolean,
            allowed="true, false",
            example="false",
        ),
        plain("origin", _("Where they came from.")),
        plain(
            "verified_share",
            _("Share found true, between 0 and 1."),
            parse=decimal,
            example="0.25",
            hxl="#affected+num+pct",
            export=small_counts.exported(attribute("verified_share")),
        ),
        plain(
            "verified_share_approximate",
            _("The share is approximate."),
            parse=boolean,
            allowed="true, false",
        ),
        link("meeting", _("The meeting it was reported at, by slug."), Meeting),
        *sharing(),
        *provenance(),
    ),
)

MILESTONE = Kind(
    name="milestone",
    model=Milestone,
    label=_("milestones"),
    key=("slug",),
    provenance=CITATION,
    table=tables.MilestoneTable,
    columns=(
        plain(
            "slug",
            _("Unique short name."),
            required=True,
            example="tip-report-2024",
            hxl="#meta+code",
        ),
        plain(
            "title",
            _("Title."),
            required=True,
            example="Tier 2 in the TIP report",
            hxl="#meta+title",
        ),
        picked(
            "kind",
            _("What kind of milestone."),
            MilestoneKind,
            required=True,
            example="recognition",
            hxl="#event+type",
        ),
        link(
            "partners",
            _("The partners concerned, by slug."),
            Partner,
            many=True,
            export=linked_many("partners"),
        ),
        link("topics", _("Topics, by slug."), Topic, many=True, export=linked_many("topics")),
        *uncertain_date(_("When it happened.")),
        plain("description", _("Description.")),
        *plan_pillar(),
        *sharing(),
        *provenance(),
    ),
)

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        PARTNER,
        PERSON,
        TOPIC,
        SOURCE,
        MEETING,
        COMMITMENT,
        COMMITMENT_UPDATE,
        COMPLAINT_COUNT,
        MILESTONE,
    )
}
