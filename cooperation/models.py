"""The domain of anti-trafficking cooperation: who met whom, what was pledged, what was counted.

Every fact users browse is a `CitedRecord`: it is public or internal, keeps its
change history, and rests on `Citation`s that quote a `Source` verbatim.
"""

import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperation import small_counts
from cooperation.change_sets import ChangeSetMember
from cooperation.constraints import OneQueryChecks
from cooperation.dates import format_day, format_period, format_uncertain_date
from cooperation.numerals import native_digits
from cooperation.translations import translation_constraints, translations_of, written_in


class Visibility(models.TextChoices):
    """Who may read a record: everyone, the partners it involves, or its owner's staff."""

    PUBLIC = "public", _("Public")
    SHARED = "shared", _("Shared with the partners involved")
    INTERNAL = "internal", _("Internal to the owner")


class DatePrecision(models.TextChoices):
    DAY = "day", _("Exact day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")
    APPROXIMATE = "approximate", _("Approximate")
    UNKNOWN = "unknown", _("Unknown")


class Inference(models.TextChoices):
    STATED = "", _("Stated in the source")
    YEAR = "year", _("Year inferred")
    DATE = "date", _("Date inferred")


class RestrictedQuerySet(models.QuerySet):
    """Every queryset that reaches a user narrows itself with `visible_to(user)`."""

    def visible_to(self, user):
        """Records this user may read, by the one policy in `cooperation.visibility`."""
        from cooperation import visibility

        return visibility.restrict(self, user)


class VisibleQuerySet(RestrictedQuerySet):
    def public(self):
        return self.filter(visibility=Visibility.PUBLIC)


class VisibleRecord(OneQueryChecks, models.Model):
    """A record owned by an organisation and public, shared with the partners it involves,
    or internal to its owner; stamped with when it was created and changed."""

    visibility = models.CharField(
        _("visibility"),
        max_length=8,
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
        db_index=True,
        help_text=_(
            "Public: everyone. Shared: the staff of the partners the record involves and of "
            "its owner. Internal: the owner's staff only."
        ),
    )
    owner = models.ForeignKey(
        "cooperation.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
        help_text=_("The organisation that keeps this record; required unless it is public."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        """The record's page, `cooperation:<model>-detail`, by slug where it has one."""
        key = getattr(self, "slug", None) or self.pk
        return reverse(f"cooperation:{self._meta.model_name}-detail", args=[key])

    @classmethod
    def owner_constraints(cls, prefix: str) -> list[models.CheckConstraint]:
        """A record that is not public is kept by someone: it has an owner organisation."""
        return [
            models.CheckConstraint(
                condition=Q(visibility=Visibility.PUBLIC) | Q(owner__isnull=False),
                name=f"{prefix}_owned_unless_public",
                violation_error_message=_(
                    "Owner: a shared or internal record needs an owner organisation."
                ),
            )
        ]

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


class CitedRecord(VisibleRecord):
    """A fact users browse: public or internal, cited, with a change history."""

    citations = GenericRelation("cooperation.Citation")
    history = HistoricalRecords(inherit=True, bases=[ChangeSetMember])

    class Meta:
        abstract = True


class UncertainDate(OneQueryChecks, models.Model):
    """A date that carries its precision and, when inferred, how."""

    date = models.DateField(
        _("date"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_(
            "For month or year precision, the first day of that month or year. "
            "Empty only when the date is unknown."
        ),
    )
    date_precision = models.CharField(
        _("date precision"), max_length=12, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    date_inferred = models.CharField(
        _("inferred"), max_length=4, choices=Inference.choices, default=Inference.STATED, blank=True
    )
    date_note = models.CharField(
        _("date note"),
        max_length=500,
        blank=True,
        help_text=_("How the date was inferred, when the source does not state it in full."),
    )

    class Meta:
        abstract = True

    @classmethod
    def date_constraints(cls, prefix: str) -> list[models.CheckConstraint]:
        return [
            models.CheckConstraint(
                condition=Q(date__isnull=True, date_precision=DatePrecision.UNKNOWN)
                | (Q(date__isnull=False) & ~Q(date_precision=DatePrecision.UNKNOWN)),
                name=f"{prefix}_date_matches_precision",
                violation_error_message=_(
                    "Date: give a date unless its precision is 'unknown', and none if it is."
                ),
            )
        ]

    @property
    def date_display(self) -> str:
        return format_uncertain_date(self.date, self.date_precision, self.date_inferred)


class Topic(models.Model):
    """A focus area of cooperation, such as human trafficking or border control."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    language = written_in()
    name_en, name_fr, name_km = translations_of(name)
    description_en, description_fr, description_km = translations_of(description)
    history = HistoricalRecords(bases=[ChangeSetMember])

    translated_fields = ["name", "description"]

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        constraints = translation_constraints("topic", ["name", "description"])

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cooperation:timeline") + f"?topic={self.slug}"


class Source(VisibleRecord):
    """A document facts are taken from, stored in full so every passage can be checked."""

    title = models.CharField(_("title"), max_length=300)
    reference = models.CharField(
        _("reference"),
        max_length=200,
        unique=True,
        help_text=_("A stable reference to the document, such as its file name."),
    )
    publisher = models.CharField(
        _("publisher"),
        max_length=200,
        blank=True,
        help_text=_("Blank when the document does not say."),
    )
    published_on = models.DateField(
        _("published on"),
        null=True,
        blank=True,
        help_text=_("Blank when the document does not say."),
    )
    url = models.URLField(_("address"), blank=True)
    text = models.TextField(_("full text"))
    notes = models.TextField(
        _("notes"),
        blank=True,
        help_text=_("What the document leaves out, and how the title was chosen."),
    )
    history = HistoricalRecords(bases=[ChangeSetMember])

    class Meta:
        ordering = ["title"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = VisibleRecord.owner_constraints("source")

    def __str__(self):
        return self.title


class PartnerKind(models.TextChoices):
    GOVERNMENT = "government", _("National government")
    MINISTRY = "ministry", _("Ministry")
    AGENCY = "agency", _("Government agency")
    PROVINCIAL_ADMINISTRATION = "provincial", _("Provincial administration")
    EMBASSY = "embassy", _("Embassy or foreign government")
    INTERGOVERNMENTAL = "igo", _("Intergovernmental organisation")
    REGIONAL_OFFICE = "regional_office", _("Regional office")
    REGIONAL_BLOC = "regional_bloc", _("Regional bloc")
    TASK_FORCE = "task_force", _("Task force")
    STANDARD_SETTER = "standard_setter", _("Standard-setting body")
    NGO = "ngo", _("Non-governmental organisation")
    OTHER = "other", _("Other")


class Partner(CitedRecord):
    """An organisation or government, or a unit of one, that takes part in cooperation."""

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices, db_index=True)
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        db_index=True,
        help_text=_("ISO 3166-1 alpha-2 code; blank for international bodies."),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
        verbose_name=_("part of"),
    )
    description = models.TextField(_("description"), blank=True)
    language = written_in()
    name_en, name_fr, name_km = translations_of(name)
    short_name_en, short_name_fr, short_name_km = translations_of(short_name)
    description_en, description_fr, description_km = translations_of(description)

    translated_fields = ["name", "short_name", "description"]

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.CheckConstraint(
                condition=Q(country="") | Q(country__regex=r"^[A-Z]{2}$"),
                name="partner_country_is_iso_code",
                violation_error_message=_("Country: use a two-letter ISO code such as KH."),
            ),
            *VisibleRecord.owner_constraints("partner"),
            *translation_constraints("partner", ["name", "short_name", "description"]),
        ]

    def __str__(self):
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def clean(self):
        if self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("Part of: a partner cannot be part of itself.")})


class Person(CitedRecord):
    """Someone who speaks or acts for a partner, with their role as the source states it."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="people", verbose_name=_("partner")
    )
    role = models.CharField(_("role"), max_length=300, help_text=_("As the source states it."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = VisibleRecord.owner_constraints("person")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return self.partner.get_absolute_url() + f"#person-{self.slug}"


class Pillar(models.TextChoices):
    """The four pillars anti-trafficking action plans are built on."""

    PREVENTION = "prevention", _("Prevention")
    PROTECTION = "protection", _("Protection")
    PROSECUTION = "prosecution", _("Prosecution")
    PARTNERSHIP = "partnership", _("Partnership")


class PlanClassified(models.Model):
    """A record an editor places under one pillar of the action plan, saying why."""

    pillar = models.CharField(
        _("plan pillar"),
        max_length=12,
        choices=Pillar.choices,
        blank=True,
        db_index=True,
        help_text=_("The action-plan pillar this record serves; empty until an editor decides."),
    )
    pillar_note = models.CharField(
        _("why this pillar"),
        max_length=500,
        blank=True,
        help_text=_("What in the sources places the record under its pillar."),
    )

    class Meta:
        abstract = True

    @staticmethod
    def pillar_constraints(prefix: str) -> list[models.BaseConstraint]:
        return [
            models.CheckConstraint(
                condition=Q(pillar__in=["", *Pillar.values]),
                name=f"{prefix}_pillar_known",
                violation_error_message=_("Plan pillar: choose one of the four pillars."),
            ),
            models.CheckConstraint(
                condition=~Q(pillar="") | Q(pillar_note=""),
                name=f"{prefix}_pillar_note_needs_pillar",
                violation_error_message=_(
                    "Why this pillar: choose the pillar the note explains, or leave the note empty."
                ),
            ),
        ]


class Meeting(CitedRecord, UncertainDate, PlanClassified):
    """A dated encounter between partners: who took part, what was discussed, what came of it."""

    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=160, unique=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    partners = models.ManyToManyField(Partner, related_name="meetings", verbose_name=_("partners"))
    participants = models.ManyToManyField(
        Person, related_name="meetings", blank=True, verbose_name=_("participants")
    )
    topics = models.ManyToManyField(
        Topic, related_name="meetings", blank=True, verbose_name=_("topics")
    )
    summary = models.TextField(_("what was discussed"))
    outcome = models.TextField(_("what came of it"), blank=True)
    language = written_in()
    title_en, title_fr, title_km = translations_of(title)
    summary_en, summary_fr, summary_km = translations_of(summary)
    outcome_en, outcome_fr, outcome_km = translations_of(outcome)

    translated_fields = ["title", "summary", "outcome"]

    # Read by django-simple-history: changes to these links are history too.
    _history_m2m_fields = ["partners", "participants", "topics"]

    class Meta:
        ordering = [F("date").desc(nulls_last=True), "title"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            *UncertainDate.date_constraints("meeting"),
            *VisibleRecord.owner_constraints("meeting"),
            *PlanClassified.pillar_constraints("meeting"),
            *translation_constraints("meeting", ["title", "summary", "outcome"]),
        ]

    def __str__(self):
        return self.title


class CommitmentStatus(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    IN_PROGRESS = "in_progress", _("In progress")
    FULFILLED = "fulfilled", _("Fulfilled")
    STALLED = "stalled", _("Stalled")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_COMMITMENT_STATUSES = [
    CommitmentStatus.ANNOUNCED,
    CommitmentStatus.IN_PROGRESS,
    CommitmentStatus.STALLED,
]


def commitment_is_open(status: str) -> bool:
    """Open: not yet fulfilled or withdrawn."""
    return status in OPEN_COMMITMENT_STATUSES


def commitment_is_overdue(
    *, target_date: datetime.date | None, status: str, on: datetime.date
) -> bool:
    """Overdue on a day: past its target date and not fulfilled. `overdue_q` is the same
    rule for the database."""
    return bool(target_date and target_date < on and status != CommitmentStatus.FULFILLED)


def overdue_q(on: datetime.date, prefix: str = "") -> Q:
    """Commitments overdue on a day, as a database condition (see `commitment_is_overdue`)."""
    return Q(**{f"{prefix}target_date__lt": on}) & ~Q(
        **{f"{prefix}status": CommitmentStatus.FULFILLED}
    )


def commitment_is_due_soon(
    *, target_date: datetime.date | None, status: str, on: datetime.date
) -> bool:
    """Due soon on a day: open, with a target date from that day to COMMITMENT_DUE_SOON_DAYS
    after it. `due_soon_q` is the same rule for the database."""
    horizon = on + datetime.timedelta(days=settings.COMMITMENT_DUE_SOON_DAYS)
    return bool(target_date and on <= target_date <= horizon and commitment_is_open(status))


def due_soon_q(on: datetime.date, prefix: str = "") -> Q:
    """Commitments due soon on a day, as a database condition (see `commitment_is_due_soon`)."""
    horizon = on + datetime.timedelta(days=settings.COMMITMENT_DUE_SOON_DAYS)
    return Q(
        **{
            f"{prefix}target_date__gte": on,
            f"{prefix}target_date__lte": horizon,
            f"{prefix}status__in": OPEN_COMMITMENT_STATUSES,
        }
    )


def stale_cutoff(on: datetime.date) -> datetime.date:
    """The day before which a commitment's latest news makes it stale."""
    return on - datetime.timedelta(days=settings.COMMITMENT_STALE_DAYS)


def news_on(*, made_on: datetime.date | None, created: datetime.datetime, updates) -> datetime.date:
    """The day of a commitment's latest news: its latest update's date (the day the update was
    recorded, for an undated one), or the day it was made (recorded) without any update."""
    days = [update.date or timezone.localdate(update.recorded_at) for update in updates]
    return max(days, default=made_on or timezone.localdate(created))


def stale_q(on: datetime.date, prefix: str = "") -> Q:
    """Open commitments whose latest news (`news_on`) is older than COMMITMENT_STALE_DAYS on
    a day: no update since the cutoff, and made (or recorded) before it."""
    cutoff = stale_cutoff(on)
    # Not correlated, so PostgreSQL hashes the recent ones once rather than probing per row.
    recent = (
        CommitmentUpdate.objects.filter(
            Q(date__gte=cutoff) | Q(date__isnull=True, recorded_at__date__gte=cutoff)
        )
        .order_by()
        .values("commitment_id")
    )
    made_before = Q(**{f"{prefix}date__lt": cutoff}) | Q(
        **{f"{prefix}date__isnull": True, f"{prefix}created_at__date__lt": cutoff}
    )
    return (
        Q(**{f"{prefix}status__in": OPEN_COMMITMENT_STATUSES})
        & made_before
        & ~Q(**{f"{prefix}pk__in": recent})
    )


class CommitmentKind(models.TextChoices):
    PLEDGE = "pledge", _("Pledge")
    INSTRUCTION = "instruction", _("Instruction")
    UNDERTAKING = "undertaking", _("Work under way")


class CommitmentQuerySet(VisibleQuerySet):
    def open(self):
        """Commitments not yet fulfilled or withdrawn (see `commitment_is_open`)."""
        return self.filter(status__in=OPEN_COMMITMENT_STATUSES)

    def involving(self, partner):
        """Commitments the partner made or received. A UNION of two indexed lookups:
        `made_by = X OR id IN (…)` would make PostgreSQL scan every commitment."""
        made = Commitment.objects.filter(made_by=partner).order_by().values("pk")
        received = (
            Commitment.made_to.through.objects.filter(partner=partner)
            .order_by()
            .values("commitment")
        )
        return self.filter(pk__in=made.union(received))

    def overdue(self, today: datetime.date | None = None):
        """Past their target date and not fulfilled."""
        return self.filter(overdue_q(today or timezone.localdate()))

    def due_soon(self, today: datetime.date | None = None):
        """Open, with a target date in the next COMMITMENT_DUE_SOON_DAYS."""
        return self.filter(due_soon_q(today or timezone.localdate()))

    def stale(self, today: datetime.date | None = None):
        """Open, with no news for COMMITMENT_STALE_DAYS."""
        return self.filter(stale_q(today or timezone.localdate()))

    def with_follow_up(self, today: datetime.date | None = None):
        """Annotate `is_overdue_flag`, `is_due_soon_flag` and `is_stale_flag`, computed in the
        database, which `Commitment.follow_up` reads instead of loading the history."""
        on = today or timezone.localdate()
        flag = models.BooleanField()
        return self.annotate(
            is_overdue_flag=models.ExpressionWrapper(overdue_q(on), output_field=flag),
            is_due_soon_flag=models.ExpressionWrapper(due_soon_q(on), output_field=flag),
            is_stale_flag=models.ExpressionWrapper(stale_q(on), output_field=flag),
        )


class Commitment(CitedRecord, UncertainDate, PlanClassified):
    """A pledge or instruction by a partner, often made at a meeting, and where it stands.

    `status` mirrors the latest `CommitmentUpdate`; `services.commitment_add_update`
    is the one place that changes it.
    """

    title = models.CharField(_("what"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    language = written_in()
    title_en, title_fr, title_km = translations_of(title)
    description_en, description_fr, description_km = translations_of(description)

    translated_fields = ["title", "description"]
    kind = models.CharField(
        _("kind"), max_length=12, choices=CommitmentKind.choices, default=CommitmentKind.PLEDGE
    )
    made_by = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="commitments_made", verbose_name=_("by")
    )
    made_by_person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("voiced by"),
    )
    made_to = models.ManyToManyField(
        Partner, related_name="commitments_received", blank=True, verbose_name=_("to")
    )
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("made at"),
    )
    topics = models.ManyToManyField(
        Topic, related_name="commitments", blank=True, verbose_name=_("topics")
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CommitmentStatus.choices,
        default=CommitmentStatus.ANNOUNCED,
        db_index=True,
    )
    target_date = models.DateField(_("target date"), null=True, blank=True, db_index=True)

    _history_m2m_fields = ["made_to", "topics"]

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        ordering = [F("date").desc(nulls_last=True), "title"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [
            *UncertainDate.date_constraints("commitment"),
            *VisibleRecord.owner_constraints("commitment"),
            *PlanClassified.pillar_constraints("commitment"),
            *translation_constraints("commitment", ["title", "description"]),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return commitment_is_open(self.status)

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return commitment_is_overdue(
            target_date=self.target_date, status=self.status, on=today or timezone.localdate()
        )

    def is_due_soon(self, today: datetime.date | None = None) -> bool:
        return commitment_is_due_soon(
            target_date=self.target_date, status=self.status, on=today or timezone.localdate()
        )

    def is_stale(self, today: datetime.date | None = None) -> bool:
        """Open with no news for COMMITMENT_STALE_DAYS (reads the updates: prefetch them, or
        use `with_follow_up` for many)."""
        if hasattr(self, "is_stale_flag"):
            return self.is_stale_flag
        on = today or timezone.localdate()
        latest = news_on(made_on=self.date, created=self.created_at, updates=self.updates.all())
        return self.is_open and latest < stale_cutoff(on)

    def follow_up(self, today: datetime.date | None = None) -> list[str]:
        """The follow-up marks that apply: "overdue", "due_soon", "stale" (at most one of the
        first two, since a commitment due soon is not yet past its date)."""
        flags = {
            "overdue": getattr(self, "is_overdue_flag", None),
            "due_soon": getattr(self, "is_due_soon_flag", None),
            "stale": getattr(self, "is_stale_flag", None),
        }
        if flags["overdue"] is None:
            flags["overdue"] = self.is_overdue(today)
        if flags["due_soon"] is None:
            flags["due_soon"] = self.is_due_soon(today)
        if flags["stale"] is None:
            flags["stale"] = self.is_stale(today)
        return [mark for mark, on in flags.items() if on]


class CommitmentUpdate(UncertainDate):
    """One dated entry in a commitment's status history; entries are only ever added."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="updates", verbose_name=_("commitment")
    )
    status = models.CharField(_("status"), max_length=12, choices=CommitmentStatus.choices)
    note = models.TextField(_("note"), blank=True)
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        related_name="commitment_updates",
        verbose_name=_("source"),
    )
    passage = models.TextField(_("passage"), help_text=_("The source's words, verbatim."))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now, db_index=True)
    history = HistoricalRecords(bases=[ChangeSetMember])

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = [F("date").asc(nulls_first=True), "recorded_at", "pk"]
        verbose_name = _("commitment update")
        verbose_name_plural = _("commitment updates")
        constraints = UncertainDate.date_constraints("commitmentupdate")

    def __str__(self):
        return f"{self.get_status_display()} — {self.date_display}"

    def clean(self):
        check_passage_in_source(self.source, self.passage)


class ComplaintCount(CitedRecord):
    """Trafficking complaints received by a partner over a period."""

    received_by = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="complaint_counts",
        verbose_name=_("received by"),
    )
    period_start = models.DateField(_("period start"), db_index=True)
    period_end = models.DateField(_("period end"), db_index=True)
    period_inferred = models.CharField(
        _("inferred"), max_length=4, choices=Inference.choices, default=Inference.STATED, blank=True
    )
    period_note = models.CharField(
        _("period note"),
        max_length=500,
        blank=True,
        help_text=_("How the period was inferred, when the source does not state it in full."),
    )
    count = models.PositiveIntegerField(_("complaints"))
    approximate = models.BooleanField(
        _("count is approximate"), default=False, help_text=_("The source gives a rough figure.")
    )
    origin = models.TextField(_("where they came from"), blank=True)
    verified_share = models.DecimalField(
        _("share found true"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Between 0 and 1, after investigation; blank when not known."),
    )
    verified_share_approximate = models.BooleanField(_("share is approximate"), default=False)
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaint_counts",
        verbose_name=_("reported at"),
    )

    class Meta:
        ordering = ["-period_end", "-period_start"]
        verbose_name = _("complaint count")
        verbose_name_plural = _("complaint counts")
        indexes = [
            # Serves the complaint table's default order and the dashboard's latest period.
            models.Index(fields=["-period_end", "-period_start"], name="complaint_latest_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(count__gte=0),
                name="complaintcount_count_not_negative",
                violation_error_message=_("Complaints: a count cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="complaintcount_period_ordered",
                violation_error_message=_("Period end: a period cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(verified_share__gte=0, verified_share__lte=1)
                | Q(verified_share__isnull=True),
                name="complaintcount_share_is_fraction",
                violation_error_message=_("Share found true: give a fraction between 0 and 1."),
            ),
            *VisibleRecord.owner_constraints("complaintcount"),
        ]

    def __str__(self):
        # A row a list selector marked `count_hidden` names no small count
        # (`cooperation.small_counts`); the admin's unmarked rows keep the number.
        hidden = getattr(self, "count_hidden", False)
        return gettext("%(count)s complaints, %(period)s") % {
            "count": small_counts.fewer_than() if hidden else self.count,
            "period": self.period_display,
        }

    @property
    def period_display(self) -> str:
        return format_period(self.period_start, self.period_end, self.period_inferred)

    @property
    def verified_count(self) -> int | None:
        """Complaints found true, rounded; None when the share is unknown."""
        if self.verified_share is None:
            return None
        return round(self.count * self.verified_share)


class MilestoneKind(models.TextChoices):
    RECOGNITION = "recognition", _("Recognition")
    LISTING = "listing", _("Listing")
    DELISTING = "delisting", _("Delisting")
    PLAN = "plan", _("Plan adopted")
    CONVENTION = "convention", _("Convention adopted")
    OPERATION = "operation", _("Operation")
    ELECTION = "election", _("Election")
    OTHER = "other", _("Other")


class Milestone(CitedRecord, UncertainDate, PlanClassified):
    """A dated event that is not a meeting: a recognition, a listing, an adopted plan, an operation."""

    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=160, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=MilestoneKind.choices, db_index=True)
    description = models.TextField(_("description"), blank=True)
    language = written_in()
    title_en, title_fr, title_km = translations_of(title)
    description_en, description_fr, description_km = translations_of(description)
    partners = models.ManyToManyField(
        Partner, related_name="milestones", blank=True, verbose_name=_("partners")
    )
    topics = models.ManyToManyField(
        Topic, related_name="milestones", blank=True, verbose_name=_("topics")
    )

    _history_m2m_fields = ["partners", "topics"]
    translated_fields = ["title", "description"]

    class Meta:
        ordering = [F("date").desc(nulls_last=True), "title"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            *UncertainDate.date_constraints("milestone"),
            *VisibleRecord.owner_constraints("milestone"),
            *PlanClassified.pillar_constraints("milestone"),
            *translation_constraints("milestone", ["title", "description"]),
        ]

    def __str__(self):
        return self.title


def check_passage_in_source(source: Source | None, passage: str) -> None:
    """Refuse a passage that is not, word for word, in its source's text; the refusal names
    the source and, when the words are close to some of the source's, says what differs and
    gives the source's words (`cooperation.passages`)."""
    from cooperation import passages

    if source is None or not passage:
        return
    if not passages.is_verbatim(source.text, passage):
        closest = passages.closest_passage(source.text, passage)
        raise ValidationError({"passage": passages.refusal_message(source.title, closest)})


CITABLE_MODELS = ("partner", "person", "meeting", "commitment", "complaintcount", "milestone")


class Citation(models.Model):
    """A verbatim passage of a source that supports one record; a quote when someone said it."""

    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="citations", verbose_name=_("source")
    )
    passage = models.TextField(_("passage"), help_text=_("The source's words, verbatim."))
    quoted_person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quotes",
        verbose_name=_("quote by"),
        help_text=_("Set when the passage is a direct quote, to the person who said it."),
    )
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        limit_choices_to={"app_label": "cooperation", "model__in": CITABLE_MODELS},
        verbose_name=_("record type"),
    )
    object_id = models.PositiveBigIntegerField(_("record id"))
    record = GenericForeignKey("content_type", "object_id")
    history = HistoricalRecords(bases=[ChangeSetMember])

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["source", "pk"]
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        indexes = [
            # Serves "the citations of this record" on every detail page.
            models.Index(fields=["content_type", "object_id"], name="citation_record_idx"),
        ]

    def __str__(self):
        from cooperation.passages import quoted

        excerpt = self.passage if len(self.passage) <= 80 else self.passage[:77] + "…"
        return f"{quoted(excerpt)} — {self.source}"

    def clean(self):
        check_passage_in_source(getattr(self, "source", None), self.passage)

    @property
    def is_quote(self) -> bool:
        return self.quoted_person_id is not None


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly report")
    PERIOD = "period", _("Custom period")
    DOSSIER = "dossier", _("Partner dossier")
    BRIEF = "brief", _("Partner brief")


class ReportAudience(models.TextChoices):
    """Who a report is built for: it holds exactly what that reader may see."""

    PUBLIC = "public", _("Public")
    ORGANISATION = "organisation", _("One organisation's view")
    EVERYTHING = "everything", _("Everything (administrators)")


def audience_label(audience: str, organisation: str = "") -> str:
    """Who a report is for, in words: "Public", "Staff of IOM", "Everything (administrators)"."""
    if audience == ReportAudience.ORGANISATION and organisation:
        return gettext("Staff of %(organisation)s") % {"organisation": organisation}
    return str(ReportAudience(audience).label)


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class Report(models.Model):
    """A generated PDF report for a period, optionally about one partner, for one audience."""

    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("partner"),
    )
    audience = models.CharField(
        _("audience"),
        max_length=12,
        choices=ReportAudience.choices,
        default=ReportAudience.PUBLIC,
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language the report is written in."),
    )
    audience_organisation = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("for the staff of"),
        help_text=_("For one organisation's view: the organisation whose staff read it."),
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=ReportStatus.choices,
        default=ReportStatus.QUEUED,
        db_index=True,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("asked for"), auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(
        _("queued"),
        null=True,
        blank=True,
        help_text=_("When it was last put in the queue; a report queued too long is sent again."),
    )
    sent_at = models.DateTimeField(
        _("sent to the queue"),
        null=True,
        blank=True,
        help_text=_("When the broker last took the build task; empty while it could not."),
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        _("last heartbeat"),
        null=True,
        blank=True,
        help_text=_("When the worker building it last said it was still at work."),
    )
    lease_expires_at = models.DateTimeField(
        _("lease expires"),
        null=True,
        blank=True,
        help_text=_("A build not renewed by then is taken over by another worker."),
    )
    lease_owner = models.CharField(
        _("built by"),
        max_length=200,
        blank=True,
        help_text=_("The worker and process holding the lease."),
    )
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="reports/%Y/%m/", max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    data_hash = models.CharField(
        _("data hash"),
        max_length=64,
        blank=True,
        help_text=_("SHA-256 of the records the report was built from."),
    )
    error = models.TextField(
        _("error"),
        blank=True,
        help_text=_("Why the last attempt stopped, in a sentence for the people who asked."),
    )
    error_detail = models.TextField(
        _("technical error"),
        blank=True,
        help_text=_("The error as the software reported it, for administrators."),
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="report_period_ordered",
                violation_error_message=_("Period end: a period cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(
                    audience=ReportAudience.ORGANISATION, audience_organisation__isnull=False
                )
                | (
                    ~Q(audience=ReportAudience.ORGANISATION) & Q(audience_organisation__isnull=True)
                ),
                name="report_organisation_with_its_audience",
                violation_error_message=_(
                    "For the staff of: name an organisation for one organisation's view, "
                    "and only then."
                ),
            ),
            models.CheckConstraint(
                condition=Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="report_language_known",
                violation_error_message=_("Language: choose one of the languages Concord speaks."),
            ),
            # NULL never collides in a plain unique constraint, so compare with 0 for none.
            models.UniqueConstraint(
                "kind",
                "period_start",
                "period_end",
                "audience",
                Coalesce("audience_organisation", 0),
                Coalesce("partner", 0),
                "language",
                name="report_unique_subject",
            ),
        ]

    def __str__(self):
        subject = f" — {self.partner}" if self.partner_id else ""
        return f"{self.get_kind_display()}{subject}, {format_period(self.period_start, self.period_end)}"

    def get_absolute_url(self):
        return reverse("cooperation:report-detail", args=[self.pk])

    @property
    def audience_display(self) -> str:
        organisation = self.audience_organisation
        return audience_label(self.audience, organisation.name if organisation else "")

    @property
    def is_whole_record(self) -> bool:
        return self.parameters.get("scope") == "whole_record"

    @property
    def title(self) -> str:
        """What the report is about, in a few words: a partner, a month or a period."""
        if self.partner_id:
            return self.partner.name
        if self.kind == ReportKind.MONTHLY:
            return native_digits(formats.date_format(self.period_start, "F Y"))
        return format_period(self.period_start, self.period_end)

    @property
    def period_display(self) -> str:
        if self.is_whole_record:
            return gettext("Whole record, to %(day)s") % {"day": format_day(self.period_end)}
        return format_period(self.period_start, self.period_end)


class Membership(models.Model):
    """A user's place in an organisation: they read what is shared with it, and its staff's
    internal records."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    history = HistoricalRecords(bases=[ChangeSetMember])

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["partner__name"]
        verbose_name = _("organisation membership")
        verbose_name_plural = _("organisation memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "partner"], name="membership_unique"),
        ]

    def __str__(self):
        return gettext("%(user)s at %(partner)s") % {"user": self.user, "partner": self.partner}


class DigestFrequency(models.TextChoices):
    NONE = "none", _("No digest")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class Preferences(models.Model):
    """What a signed-in user chose for themselves: the language the pages speak to them in, and
    how often they hear about what they follow."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="preferences",
        verbose_name=_("user"),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    digest = models.CharField(
        _("email digest"),
        max_length=8,
        choices=DigestFrequency.choices,
        default=DigestFrequency.WEEKLY,
        db_index=True,
        help_text=_("What changed in what you follow, and what falls due."),
    )

    class Meta:
        verbose_name = _("preferences")
        verbose_name_plural = _("preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(language__in=["", *(code for code, _name in settings.LANGUAGES)]),
                name="preferences_language_known",
            ),
            models.CheckConstraint(
                condition=Q(digest__in=DigestFrequency.values), name="preferences_digest_known"
            ),
        ]

    def __str__(self):
        return gettext("Preferences of %(user)s") % {"user": self.user}


FOLLOWED_KINDS = ("partner", "topic", "commitment")


class Follow(models.Model):
    """A signed-in user following one partner, topic or commitment: its changes, and what of it
    falls due, reach them in their digest."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="follows",
        verbose_name=_("user"),
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="follows",
        verbose_name=_("partner"),
    )
    topic = models.ForeignKey(
        Topic,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="follows",
        verbose_name=_("topic"),
    )
    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="follows",
        verbose_name=_("commitment"),
    )
    created_at = models.DateTimeField(_("followed since"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(partner__isnull=False, topic__isnull=True, commitment__isnull=True)
                    | Q(partner__isnull=True, topic__isnull=False, commitment__isnull=True)
                    | Q(partner__isnull=True, topic__isnull=True, commitment__isnull=False)
                ),
                name="follow_one_record",
                violation_error_message=_("Follow exactly one partner, topic or commitment."),
            ),
            *(
                models.UniqueConstraint(
                    fields=["user", kind],
                    condition=Q(**{f"{kind}__isnull": False}),
                    name=f"follow_{kind}_once",
                    violation_error_message=_("You already follow this."),
                )
                for kind in FOLLOWED_KINDS
            ),
        ]

    def __str__(self):
        return gettext("%(user)s follows %(record)s") % {"user": self.user, "record": self.record}

    @property
    def kind(self) -> str:
        return next(kind for kind in FOLLOWED_KINDS if getattr(self, f"{kind}_id"))

    @property
    def record(self):
        return getattr(self, self.kind)


class DigestStatus(models.TextChoices):
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    EMPTY = "empty", _("Nothing to send")
    FAILED = "failed", _("Failed")


class Digest(models.Model):
    """One user's digest for one period: claimed before it is written, so it is sent once
    however many times the task runs, and kept with why when it could not be sent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="digests",
        verbose_name=_("user"),
    )
    frequency = models.CharField(
        _("frequency"), max_length=8, choices=DigestFrequency.choices, db_index=True
    )
    period_start = models.DateTimeField(_("changes since"))
    period_end = models.DateTimeField(_("changes until"), db_index=True)
    status = models.CharField(
        _("status"), max_length=8, choices=DigestStatus.choices, default=DigestStatus.SENDING
    )
    claimed_at = models.DateTimeField(_("claimed"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    recipient = models.EmailField(_("sent to"), blank=True)
    error = models.TextField(_("why it failed"), blank=True)

    class Meta:
        ordering = ["-period_end", "-pk"]
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "frequency", "period_end"], name="digest_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=[DigestFrequency.DAILY, DigestFrequency.WEEKLY]),
                name="digest_frequency_sent",
            ),
            models.CheckConstraint(
                condition=Q(period_start__lt=F("period_end")), name="digest_period_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(status=DigestStatus.SENT) | Q(sent_at__isnull=False),
                name="digest_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=DigestStatus.FAILED) | ~Q(error=""),
                name="digest_failure_says_why",
            ),
        ]

    def __str__(self):
        return gettext("%(frequency)s digest for %(user)s to %(end)s") % {
            "frequency": self.get_frequency_display(),
            "user": self.user,
            "end": format_day(timezone.localdate(self.period_end)),
        }


class DataVersion(models.Model):
    """One row whose number every committed write to the records moves on: cached pages are
    keyed by it, so a page cached before a change is never served after it
    (`cooperation.cache`)."""

    number = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("data version")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="dataversion_single_row"),
        ]

    def __str__(self):
        return str(self.number)
