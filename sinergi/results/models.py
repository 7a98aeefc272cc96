"""Results and monitoring: the results framework, indicators, reporting periods,
targets, submissions of actual values and the progress roll-ups kept with them.

The framework follows IATI's `result` element: a result has a type (IATI ResultType:
output, outcome, impact) and indicators; an indicator has a measure (IATI
IndicatorMeasure), a direction (`ascending`), a baseline and targets per period, and
actual values per period, in total and by disaggregation.

Actual values arrive as submissions: a responsible partner writes a draft, submits it,
and a coordinator approves it or returns it with a comment. An approved value is never
edited: a change is a new revision of the same (indicator, period) that must be approved
in turn, and only then replaces the one in force (`is_current`). Approved values go on
the transparency ledger in the same transaction as the approval.

`IndicatorStatus` and `SdgProgress` are roll-ups written in the same transaction as the
approval that changes them (see `rollups.py`), so a dashboard reads a few rows and is
never stale.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from sinergi.core.choices import display_of
from sinergi.core.numbers import MAX_INTEGER
from sinergi.partners.models import Organisation
from sinergi.partnerships.models import Goal, Partnership, WorkPackage, validate_sdg_targets

# Large enough for counts of people in a country and for percentages to 4 places.
VALUE = {"max_digits": 20, "decimal_places": 4}
# The API's limits of the long texts, which the web forms share: a longer text saved
# through a form could not be sent back unchanged through the API.
DESCRIPTION_MAX_LENGTH = 5_000  # a result's description, an indicator's definition
VALUE_TEXT_MAX_LENGTH = 5_000  # a qualitative indicator's value
NARRATIVE_MAX_LENGTH = 10_000


class ResultType(models.TextChoices):
    """IATI ResultType codes (2.03)."""

    OUTPUT = "1", _("Output")
    OUTCOME = "2", _("Outcome")
    IMPACT = "3", _("Impact")
    OTHER = "9", _("Other")


# Which result types may sit under which: impact → outcome → output. "Other" anywhere.
ALLOWED_PARENTS: dict[str, frozenset[str]] = {
    ResultType.IMPACT: frozenset(),
    ResultType.OUTCOME: frozenset({ResultType.IMPACT, ResultType.OTHER}),
    ResultType.OUTPUT: frozenset({ResultType.OUTCOME, ResultType.IMPACT, ResultType.OTHER}),
    ResultType.OTHER: frozenset(
        {ResultType.IMPACT, ResultType.OUTCOME, ResultType.OUTPUT, ResultType.OTHER}
    ),
}


class Measure(models.TextChoices):
    """IATI IndicatorMeasure codes (2.03) that Sinergi scores or shows."""

    UNIT = "1", _("Unit")
    PERCENTAGE = "2", _("Percentage")
    QUALITATIVE = "5", _("Qualitative")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


class Accumulation(models.TextChoices):
    """How period values make the value to date."""

    CUMULATIVE = "cumulative", _("Adds up over periods (e.g. factories audited)")
    LEVEL = "level", _("Latest period is the level (e.g. coverage %)")


class DimensionKind(models.TextChoices):
    SEX = "sex", _("Sex")
    AGE = "age", _("Age group")
    SUBDIVISION = "subdivision", _("Province or district")
    CUSTOM = "custom", _("Custom")


class Dimension(models.Model):
    """A way to break a value down (sex, age group, province, or one the partners define).

    `categories` is a list of `{"code", "label"}`; for provinces and districts the codes
    are ISO 3166-2. An exhaustive dimension's categories cover everyone, so values
    broken down by it must add up to the total.
    """

    partnership = models.ForeignKey(
        Partnership,
        verbose_name=_("partnership"),
        on_delete=models.CASCADE,
        related_name="dimensions",
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=DimensionKind.choices)
    exhaustive = models.BooleanField(
        _("exhaustive"),
        default=True,
        help_text=_("The categories cover everyone, so they must add up to the total."),
    )
    categories = models.JSONField(_("categories"), default=list)
    position = models.PositiveIntegerField(
        _("position"), default=0, validators=[MaxValueValidator(MAX_INTEGER)]
    )

    class Meta:
        verbose_name = _("disaggregation dimension")
        verbose_name_plural = _("disaggregation dimensions")
        ordering = ["partnership_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "code"],
                name="dimension_code_unique",
                violation_error_message=_("Another dimension already has this code."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def labels(self) -> dict[str, str]:
        return {c["code"]: c["label"] for c in self.categories}

    get_kind_display = display_of("kind", DimensionKind.choices)


class Result(models.Model):
    """An impact, outcome or output of the partnership (IATI `result`)."""

    partnership = models.ForeignKey(
        Partnership,
        verbose_name=_("partnership"),
        on_delete=models.CASCADE,
        related_name="results",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("contributes to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    type = models.CharField(_("type"), max_length=1, choices=ResultType.choices)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    goal = models.ForeignKey(
        Goal,
        verbose_name=_("goal"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="results",
    )
    work_package = models.ForeignKey(
        WorkPackage,
        verbose_name=_("work package"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="results",
    )
    sdg_targets = models.JSONField(
        _("SDG targets"),
        default=list,
        blank=True,
        validators=[validate_sdg_targets],
        help_text=_("Official target codes, e.g. 3.b"),
    )
    position = models.PositiveIntegerField(
        _("position"), default=0, validators=[MaxValueValidator(MAX_INTEGER)]
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")
        ordering = ["partnership_id", "position", "pk"]

    def __str__(self) -> str:
        return self.title

    get_type_display = display_of("type", ResultType.choices)


class Indicator(models.Model):
    """What is measured for a result, by whom, against which baseline and targets."""

    partnership = models.ForeignKey(
        Partnership,
        verbose_name=_("partnership"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    result = models.ForeignKey(
        Result, verbose_name=_("result"), on_delete=models.PROTECT, related_name="indicators"
    )
    code = models.CharField(_("code"), max_length=20, help_text=_("e.g. 1.2 or OUT-3"))
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("definition"), blank=True)
    measure = models.CharField(
        _("measure"), max_length=1, choices=Measure.choices, default=Measure.UNIT
    )
    unit = models.CharField(_("unit"), max_length=40, blank=True, help_text=_("e.g. people"))
    ascending = models.BooleanField(
        _("higher is better"),
        default=True,
        help_text=_("Untick when a decrease is the aim (e.g. hazardous chemicals in use)."),
    )
    accumulation = models.CharField(
        _("values over periods"),
        max_length=10,
        choices=Accumulation.choices,
        default=Accumulation.LEVEL,
    )
    frequency = models.CharField(
        _("reporting frequency"),
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.QUARTERLY,
    )
    baseline_value = models.DecimalField(_("baseline"), **VALUE, null=True, blank=True)
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    responsible = models.ForeignKey(
        Organisation,
        verbose_name=_("responsible partner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    sdg_indicator = models.CharField(
        _("SDG indicator"), max_length=20, blank=True, help_text=_("e.g. 3.b.1")
    )
    dimensions = models.ManyToManyField(
        Dimension, verbose_name=_("disaggregated by"), blank=True, related_name="indicators"
    )
    position = models.PositiveIntegerField(
        _("position"), default=0, validators=[MaxValueValidator(MAX_INTEGER)]
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["partnership_id", "position", "code", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "code"],
                name="indicator_code_unique",
                violation_error_message=_("Another indicator already has this code."),
            ),
        ]
        indexes = [models.Index(fields=["responsible", "partnership"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_scored(self) -> bool:
        return self.measure != Measure.QUALITATIVE

    get_measure_display = display_of("measure", Measure.choices)
    get_frequency_display = display_of("frequency", Frequency.choices)
    get_accumulation_display = display_of("accumulation", Accumulation.choices)


class Period(models.Model):
    """A reporting period of one frequency in one partnership, with its due date.

    Values are due by `due`; a coordinator closes a period once its figures are final,
    after which nothing more is submitted for it.
    """

    partnership = models.ForeignKey(
        Partnership,
        verbose_name=_("partnership"),
        on_delete=models.CASCADE,
        related_name="reporting_periods",
    )
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    due = models.DateField(_("due"))
    closed = models.BooleanField(_("closed"), default=False)

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        ordering = ["partnership_id", "frequency", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "frequency", "start"], name="period_unique"
            ),
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="period_order"),
            models.CheckConstraint(condition=Q(due__gte=F("end")), name="period_due_after_end"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """2026, 2026-Q2 or 2026-05: the period's key in templates, exports and the API."""
        if self.frequency == Frequency.YEARLY:
            return f"{self.start.year}"
        if self.frequency == Frequency.QUARTERLY:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"


class Target(models.Model):
    """The value aimed for in one period, in total (`category` "") or for one category
    of a dimension (`category` "sex:female")."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="targets"
    )
    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="targets"
    )
    category = models.CharField(_("disaggregation"), max_length=100, blank=True)
    value = models.DecimalField(_("target"), **VALUE)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["indicator_id", "period__start", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period", "category"], name="target_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.period.label} {self.category}: {self.value}"


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class Submission(models.Model):
    """One partner's actual value for one indicator and period, revision `revision`."""

    partnership = models.ForeignKey(
        Partnership,
        verbose_name=_("partnership"),
        on_delete=models.CASCADE,
        related_name="result_submissions",
    )
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        on_delete=models.PROTECT,
        related_name="submissions",
    )
    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="submissions"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="+"
    )
    revision = models.PositiveIntegerField(_("revision"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    value = models.DecimalField(_("value"), **VALUE, null=True, blank=True)
    text = models.TextField(_("qualitative value"), blank=True)
    narrative = models.TextField(_("narrative"), blank=True)
    comment = models.CharField(_("reviewer's comment"), max_length=1000, blank=True)
    # The approved revision in force for its (indicator, period): at most one.
    is_current = models.BooleanField(_("in force"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)
    # Whoever last changed the figures; with the author, the submitter and everyone else
    # who changed this revision (`editors`), they may not approve it.
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # The ids of everyone who changed or submitted this revision, in order: a reviewer who
    # typed a figure, or submitted it before it was returned, still may not approve it
    # after someone else sends it again.
    editors = models.JSONField(_("changed by"), default=list, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    ledger_index = models.BigIntegerField(_("ledger entry"), null=True, blank=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["indicator_id", "period_id", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period", "revision"], name="submission_revision_unique"
            ),
            models.UniqueConstraint(
                fields=["indicator", "period"],
                condition=Q(is_current=True),
                name="submission_one_current",
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(status="approved"),
                name="submission_current_is_approved",
            ),
        ]
        indexes = [
            models.Index(fields=["partnership", "status"]),
            models.Index(fields=["period", "organisation"]),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.period.label} r{self.revision}"

    @property
    def editable(self) -> bool:
        return self.status in (Status.DRAFT, Status.RETURNED)

    def author_ids(self) -> set[int]:
        """Everyone who entered, changed or submitted this revision: none of them may
        decide on it."""
        ids = {self.created_by_id, self.edited_by_id, self.submitted_by_id, *self.editors}
        return {pk for pk in ids if pk}

    def changed_by(self, person_id: int) -> None:
        """Note that `person_id` changed the figures (as the last to do so)."""
        self.edited_by_id = person_id
        self.involve(person_id)

    def involve(self, person_id: int) -> None:
        """Keep `person_id` among those who may not decide on this revision."""
        if person_id not in self.editors:
            self.editors = [*self.editors, person_id]

    get_status_display = display_of("status", Status.choices)


class SubmissionValue(models.Model):
    """The value for one category of one dimension (`category` "sex:female")."""

    submission = models.ForeignKey(
        Submission, verbose_name=_("submission"), on_delete=models.CASCADE, related_name="values"
    )
    category = models.CharField(_("disaggregation"), max_length=100)
    value = models.DecimalField(_("value"), **VALUE)

    class Meta:
        verbose_name = _("disaggregated value")
        verbose_name_plural = _("disaggregated values")
        ordering = ["submission_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "category"], name="submission_value_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.value}"


def evidence_path(instance: Evidence, filename: str) -> str:
    """Stored under the content hash: a file cannot be swapped behind its hash."""
    return f"results/{instance.sha256[:2]}/{instance.sha256}"


class Evidence(models.Model):
    """A file backing a submission (photos, attendance lists, audit reports)."""

    submission = models.ForeignKey(
        Submission,
        verbose_name=_("submission"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["submission_id", "pk"]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A place where the reported work happened (WGS 84), for the map and the table."""

    submission = models.ForeignKey(
        Submission, verbose_name=_("submission"), on_delete=models.CASCADE, related_name="sites"
    )
    name = models.CharField(_("site"), max_length=200)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    subdivision = models.CharField(_("province or district"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["submission_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90), name="site_latitude_range"
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180),
                name="site_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Progress(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OFF_TRACK = "off_track", _("Off track")
    NO_DATA = "no_data", _("No data yet")
    NOT_SCORED = "not_scored", _("Not scored (qualitative)")


class Trend(models.TextChoices):
    IMPROVING = "improving", _("Improving")
    WORSENING = "worsening", _("Worsening")
    STEADY = "steady", _("Steady")
    UNKNOWN = "", _("Not enough data")


class IndicatorStatus(models.Model):
    """An indicator's progress from its approved values, rewritten by every approval.

    `series` holds, per period with a target or an approved value, `[period label,
    period end ISO date, actual to date or null, target to date or null]` as strings, so
    the dashboard draws the time series without reading the values.
    """

    indicator = models.OneToOneField(
        Indicator,
        verbose_name=_("indicator"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="status",
    )
    partnership = models.ForeignKey(
        Partnership, verbose_name=_("partnership"), on_delete=models.CASCADE, related_name="+"
    )
    period = models.ForeignKey(
        Period,
        verbose_name=_("latest period"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actual = models.DecimalField(_("actual to date"), **VALUE, null=True, blank=True)
    target = models.DecimalField(_("target to date"), **VALUE, null=True, blank=True)
    final_target = models.DecimalField(_("final target"), **VALUE, null=True, blank=True)
    percent = models.DecimalField(
        _("percent of final target"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    percent_to_date = models.DecimalField(
        _("percent of target to date"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    progress = models.CharField(
        _("progress"), max_length=12, choices=Progress.choices, default=Progress.NO_DATA
    )
    trend = models.CharField(
        _("trend"), max_length=10, choices=Trend.choices, default="", blank=True
    )
    approved = models.PositiveIntegerField(_("approved periods"), default=0)
    series = models.JSONField(_("series"), default=list)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("indicator progress")
        verbose_name_plural = _("indicator progress")

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.progress}"

    get_progress_display = display_of("progress", Progress.choices)
    get_trend_display = display_of("trend", Trend.choices)


class SdgProgress(models.Model):
    """How one partnership's indicators linked to one SDG target are doing; the row whose
    `target` is the goal's own code ("3") covers the whole goal, each indicator once.

    Rewritten with the partnership's indicator statuses; the portfolio view adds these
    rows up over the partnerships a reader may see.
    """

    partnership = models.ForeignKey(
        Partnership, verbose_name=_("partnership"), on_delete=models.CASCADE, related_name="+"
    )
    goal = models.CharField(_("SDG goal"), max_length=2)
    target = models.CharField(_("SDG target"), max_length=10)
    indicators = models.PositiveIntegerField(_("indicators"), default=0)
    on_track = models.PositiveIntegerField(_("on track"), default=0)
    at_risk = models.PositiveIntegerField(_("at risk"), default=0)
    off_track = models.PositiveIntegerField(_("off track"), default=0)
    no_data = models.PositiveIntegerField(_("no data"), default=0)
    not_scored = models.PositiveIntegerField(_("not scored"), default=0)
    scored = models.PositiveIntegerField(_("scored"), default=0)
    # Sum of the scored indicators' percent of target, each capped to 0-100.
    percent_sum = models.DecimalField(_("sum of percent"), max_digits=14, decimal_places=2)
    indicator_codes = models.JSONField(_("indicator codes"), default=list)
    # The ledger index of the approval that last moved the row in place (rollups.shift_sdg;
    # 0: none since it was written). Ledger indices only grow, so the portfolio's cache
    # key reads the largest through the index.
    revision = models.PositiveBigIntegerField(_("revision"), default=0, db_index=True)

    class Meta:
        verbose_name = _("SDG progress")
        verbose_name_plural = _("SDG progress")
        ordering = ["partnership_id", "goal", "target"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "target"], name="sdg_progress_unique"),
        ]
        indexes = [models.Index(fields=["target", "partnership"])]

    def __str__(self) -> str:
        return f"{self.partnership_id} {self.target}"


def as_key(dimension_code: str, category_code: str) -> str:
    """The `category` string stored for one category of one dimension."""
    return f"{dimension_code}:{category_code}"


def split_key(key: str) -> tuple[str, str]:
    dimension, _sep, category = key.partition(":")
    return dimension, category


class ReminderSent(models.Model):
    """A reminder digest e-mailed to one person for one day (`sinergi results remind`):
    running it again that day, after a failure, sends only to those not reminded yet."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    day = models.DateField(_("day"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(fields=["day", "person"], name="reminder_sent_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.day}"
