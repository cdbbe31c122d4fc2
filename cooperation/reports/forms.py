"""The form that asks for a report; the generate_report command validates through it too."""

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from cooperation import visibility
from cooperation.forms import SlugModelChoiceField
from cooperation.languages import OWN_NAMES
from cooperation.models import Partner, ReportAudience, ReportKind
from cooperation.reports import services
from cooperation.reports.collect import first_record_date
from cooperation.reports.periods import Period, month_parse, period_bounds_check

# The field a period outside the bounds is corrected in (None: the period as a whole).
BOUND_FIELDS: dict[str, str | None] = {
    "too_early": "period_start",
    "too_late": "period_end",
    "too_long": None,
}


class ReportRequestForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        required=False,
        help_text=_("As YYYY-MM, such as 2022-11. Or give a start and an end instead."),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2022-11"}),
    )
    period_start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("From: enter a real date, as YYYY-MM-DD.")},
    )
    period_end = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("To: enter a real date, as YYYY-MM-DD.")},
    )
    partner = SlugModelChoiceField(
        label=_("Partner"),
        queryset=Partner.objects.all(),
        empty_label=_("All partners"),
        help_text=_(
            "Choose a partner for its dossier; without a period, the dossier covers its whole record."
        ),
        error_messages={"invalid_choice": _("Partner: there is no partner “%(value)s”.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[
            ("", _("From the period and partner")),
            (ReportKind.BRIEF, _("Partner brief: since the last meeting")),
        ],
        help_text=_("A partner brief covers the time since the last meeting with the partner."),
        error_messages={"invalid_choice": _("Kind: choose a partner brief or leave it empty.")},
    )
    audience = forms.ChoiceField(
        label=_("Audience"),
        choices=ReportAudience.choices,
        initial=ReportAudience.PUBLIC,
        help_text=_(
            "A report holds what its readers may see: public records only, what one "
            "organisation's staff see, or everything."
        ),
    )
    organisation = SlugModelChoiceField(
        label=_("For the staff of"),
        queryset=Partner.objects.all(),
        empty_label=_("—"),
        help_text=_("For one organisation's view only."),
        error_messages={"invalid_choice": _("For the staff of: there is no partner “%(value)s”.")},
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[(code, OWN_NAMES[code]) for code, _name in settings.LANGUAGES],
        required=False,
        help_text=_(
            "The language the report is written in; the page's language unless you choose."
        ),
        error_messages={
            "invalid_choice": _("Language: Concord writes reports in English, French or Khmer.")
        },
    )
    rebuild = forms.BooleanField(
        label=_("Build it again even if it exists"),
        required=False,
    )

    def __init__(self, *args, user=None, **kwargs):
        """For a user, only the audiences they may read and the partners they may see; without
        one (the command line, run by an operator) every audience and partner."""
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = translation.get_language()
        if user is None:
            return
        audiences = visibility.audiences_for(user)
        allowed = {audience for audience, _organisation in audiences}
        audience = cast(forms.ChoiceField, self.fields["audience"])
        audience.choices = [(v, label) for v, label in ReportAudience.choices if v in allowed]
        audience.initial = audiences[0][0]
        partner = cast(forms.ModelChoiceField, self.fields["partner"])
        partner.queryset = Partner.objects.visible_to(user)
        organisations = [pk for _audience, pk in audiences if pk is not None]
        organisation = cast(forms.ModelChoiceField, self.fields["organisation"])
        if not visibility.sees_everything(user):
            organisation.queryset = Partner.objects.filter(pk__in=organisations)
        if organisations:
            organisation.initial = Partner.objects.filter(pk=organisations[0]).first()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        month = (cleaned.get("month") or "").strip()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if self.errors:
            return cleaned
        period = None
        if cleaned.get("kind") == ReportKind.BRIEF:
            if cleaned.get("partner") is None:
                self.add_error("partner", _("Partner: a brief is about one partner; choose it."))
            if month or start or end:
                raise ValidationError(
                    _("Period: a brief runs from the last meeting to today; give no period."),
                    code="brief_period",
                )
        if month and (start or end):
            raise ValidationError(
                _("Period: give either a month or a start and an end, not both."), code="both"
            )
        if month:
            try:
                period = month_parse(month)
            except ValidationError as error:
                self.add_error("month", error)
                return cleaned
        elif start or end:
            if not (start and end):
                raise ValidationError(
                    _("Period: give both a start and an end."), code="half_period"
                )
            try:
                period = Period(start, end)
            except ValidationError as error:
                self.add_error("period_end", error)
                return cleaned
        elif cleaned.get("partner") is None and cleaned.get("kind") != ReportKind.BRIEF:
            raise ValidationError(
                _(
                    "Period: give a month, or a start and an end (only a partner dossier may go without)."
                ),
                code="no_period",
            )
        if cleaned.get("audience") != ReportAudience.ORGANISATION:
            cleaned["organisation"] = None  # named only for one organisation's view
        try:
            services.report_audience_check(
                partner=cleaned.get("partner"),
                audience=cleaned.get("audience", ""),
                organisation=cleaned.get("organisation"),
            )
        except ValidationError as error:
            field = "organisation" if error.code == "organisation" else "partner"
            self.add_error(field, error)
        if period is not None:
            try:
                period_bounds_check(
                    period,
                    first_record=first_record_date(),
                    today=timezone.localdate(),
                    max_years=settings.REPORT_MAX_YEARS,
                )
            except ValidationError as error:
                self.add_error("month" if month else BOUND_FIELDS.get(str(error.code)), error)
                return cleaned
        cleaned["period"] = period
        return cleaned

    def save(self, *, requested_by=None):
        """Ask for the report the form describes; returns it and whether a build was queued."""
        data = self.cleaned_data
        if data.get("kind") == ReportKind.BRIEF:
            return services.report_request_brief(
                partner=data["partner"],
                audience=data["audience"],
                organisation=data["organisation"],
                requested_by=requested_by,
                rebuild=data["rebuild"],
                language=data["language"],
            )
        if data["period"] is None:
            return services.report_request_dossier(
                partner=data["partner"],
                audience=data["audience"],
                organisation=data["organisation"],
                requested_by=requested_by,
                rebuild=data["rebuild"],
                language=data["language"],
            )
        return services.report_request(
            period=data["period"],
            audience=data["audience"],
            organisation=data["organisation"],
            partner=data["partner"],
            requested_by=requested_by,
            rebuild=data["rebuild"],
            language=data["language"],
        )
