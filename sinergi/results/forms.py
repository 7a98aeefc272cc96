"""Forms of the results pages, one per service call. The services validate; the forms
only collect the fields and put the services' errors back on the right field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sinergi.core.numbers import NumberField, localized
from sinergi.partners.models import Organisation
from sinergi.results.models import (
    DESCRIPTION_MAX_LENGTH,
    NARRATIVE_MAX_LENGTH,
    VALUE_TEXT_MAX_LENGTH,
    Accumulation,
    Dimension,
    DimensionKind,
    Frequency,
    Indicator,
    Measure,
    Progress,
    Result,
    ResultType,
    Submission,
)
from sinergi.results.services import SiteInput, categories_of

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def parse_sites(text: str) -> list[SiteInput]:
    """Lines "name, latitude, longitude" or "name, latitude, longitude, ID-JB"; a field
    error on `sites` naming the line when one does not read. A line that does not read so
    but has semicolons is read with semicolons between its parts, and then decimal commas:
    "Puskesmas A; -8,5; 120,1; ID-NT". (A name may hold commas, or semicolons when the
    parts are separated by commas.)"""
    sites = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        site = _site(line, ",")
        if site is None and ";" in line:
            site = _site(line, ";")
        if site is None:  # as written: the service says what is wrong with the numbers
            site = _site(line, ",", numbers=False)
        if site is None:
            raise ValidationError(
                {
                    "sites": [
                        _(
                            "Line %(line)d: write the name, latitude, longitude and, "
                            "optionally, the province code (e.g. ID-JB)."
                        )
                        % {"line": number}
                    ]
                }
            )
        sites.append(site)
    return sites


def _site(line: str, separator: str, *, numbers: bool = True) -> SiteInput | None:
    """The site on `line` with its parts between `separator`s, or None when it does not
    read so: a name, then two numbers (with decimal commas after semicolons; any two
    parts when not `numbers`), then perhaps a province code."""
    parts = [part.strip() for part in line.split(separator)]
    if separator == ";":
        parts = [*parts[:1], *(_decimal_point(part) for part in parts[1:])]
    subdivision = ""
    if len(parts) >= 4 and not _is_number(parts[-1]):
        subdivision = parts.pop()
    if len(parts) < 3 or (numbers and not (_is_number(parts[-2]) and _is_number(parts[-1]))):
        return None
    name = f"{separator} ".join(parts[:-2])
    return SiteInput(name, parts[-2], parts[-1], subdivision)


def _decimal_point(text: str) -> str:
    """A coordinate written with a decimal comma ("-8,5"), with a point instead."""
    return text.replace(",", ".") if _is_number(text.replace(",", ".")) else text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def sites_text(submission: Submission | None) -> str:
    if submission is None:
        return ""
    return "\n".join(
        ", ".join(p for p in (s.name, str(s.latitude), str(s.longitude), s.subdivision) if p != "")
        for s in submission.sites.all()
    )


class ValueForm(forms.Form):
    """An actual value for one indicator and period: the total (or text for a
    qualitative indicator), one input per category of each dimension, a narrative,
    an evidence file and the sites."""

    value = NumberField(label=_("Total"), required=False)
    # The API's limits: a longer text saved here could not be sent back through the API.
    text = forms.CharField(
        label=_("What was achieved"),
        required=False,
        max_length=VALUE_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    narrative = forms.CharField(
        label=_("Narrative"),
        required=False,
        max_length=NARRATIVE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    evidence = forms.FileField(label=_("Evidence file"), required=False)
    sites = forms.CharField(
        label=_("Sites"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One a line: name, latitude, longitude, province code (e.g. ID-JB), as in "
            "“Puskesmas A, -8.5, 120.1, ID-NT”. To write decimal commas, separate with "
            "semicolons: “Puskesmas A; -8,5; 120,1; ID-NT”."
        ),
    )

    def __init__(
        self, *args: Any, indicator: Indicator, submission: Submission | None, **kwargs: Any
    ) -> None:
        if submission is not None and not kwargs.get("data"):
            initial = {
                "value": localized(submission.value),
                "text": submission.text,
                "narrative": submission.narrative,
                "sites": sites_text(submission),
            }
            for v in submission.values.all():
                initial[f"cat:{v.category}"] = localized(v.value)
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        self.qualitative = indicator.measure == Measure.QUALITATIVE
        if self.qualitative:
            del self.fields["value"]
        else:
            del self.fields["text"]
            if indicator.unit:
                self.fields["value"].label = _("Total (%(unit)s)") % {"unit": indicator.unit}
        # key → form field name; dimension code → its fields and errors
        self.category_fields: dict[str, str] = {}
        self.dimensions: list[dict[str, Any]] = []
        if not self.qualitative:
            groups: dict[int, dict[str, Any]] = {}
            for key, (dimension, label) in categories_of(indicator).items():
                name = f"cat:{key}"
                self.fields[name] = NumberField(label=label, required=False)
                self.category_fields[key] = name
                group = groups.setdefault(
                    dimension.pk,
                    {
                        "dimension": dimension,
                        "names": [],
                        "errors": [],
                        "label": dimension.name,
                        "errors_id": f"dimension-{dimension.code}-errors",
                    },
                )
                group["names"].append(name)
            self.dimensions = list(groups.values())
            # In the order the page draws them: the categories follow the total.
            self.order_fields(["value", *self.category_fields.values()])
            for group in self.dimensions:
                group["fields"] = [self[name] for name in group["names"]]
        # A dimension's own errors ("does not add up") in the error summary
        self.error_groups = self.dimensions

    def category_values(self) -> dict[str, str]:
        return {
            key: self.cleaned_data.get(name, "")
            for key, name in self.category_fields.items()
            if self.cleaned_data.get(name, "").strip()
        }

    def visible_fields(self) -> list:  # the category inputs are drawn per dimension
        return [f for f in super().visible_fields() if not f.name.startswith("cat:")]

    def apply(self, error: ValidationError) -> None:
        """Put a service's errors on the fields; a dimension's "does not add up" error
        under its dimension."""
        by_dimension = {g["dimension"].code: g for g in self.dimensions}
        messages = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
        for name, texts in messages.items():
            for text in texts:
                self._apply_one(name, text, by_dimension)

    def _apply_one(self, name: str | None, text: str, by_dimension: dict) -> None:
        if name and name.startswith("values."):
            key = name[len("values.") :]
            if key in self.category_fields:
                self.add_error(self.category_fields[key], text)
                return
            if key in by_dimension:
                by_dimension[key]["errors"].append(text)
                return
        if name and name.startswith("sites"):
            name = "sites"
        if name == "file":
            name = "evidence"
        self.add_error(name if name in self.fields else None, text)


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to return a value: say what to fix."),
    )


class ResultForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=ResultType.choices)
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    parent = forms.ModelChoiceField(
        label=_("Contributes to"), queryset=Result.objects.none(), required=False
    )
    sdg_targets = forms.CharField(
        label=_("SDG targets"), required=False, help_text=_("Official target codes, e.g. 3.b")
    )

    def __init__(self, *args: Any, partnership: Any, exclude: int | None = None, **kw: Any):
        super().__init__(*args, **kw)
        parents = Result.objects.filter(partnership=partnership).order_by("position", "pk")
        if exclude:
            parents = parents.exclude(pk=exclude)
        self.fields["parent"].queryset = parents

    def service_fields(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


# The largest id a database look-up takes (64-bit); larger ones overflow the driver.
MAX_ID = 2**63 - 1
MAX_CATEGORIES = 500


class DimensionChoices(forms.ModelMultipleChoiceField):
    """Dimensions by id; an id that is not a whole number within 64 bits is an invalid
    choice before the database is asked (SQLite and PostgreSQL fail on it with a 500)."""

    def _check_values(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else []:
            text = str(pk).strip()
            if not (text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= MAX_ID):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": text[:20]},
                )
        return super()._check_values(value)


class IndicatorForm(forms.Form):
    result = forms.ModelChoiceField(label=_("Result"), queryset=Result.objects.none())
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("e.g. 1.2 or OUT-3"))
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Definition"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    measure = forms.ChoiceField(label=_("Measure"), choices=Measure.choices)
    unit = forms.CharField(label=_("Unit"), required=False, max_length=40)
    ascending = forms.BooleanField(label=_("Higher is better"), required=False, initial=True)
    accumulation = forms.ChoiceField(label=_("Values over periods"), choices=Accumulation.choices)
    frequency = forms.ChoiceField(
        label=_("Reporting frequency"), choices=Frequency.choices, initial=Frequency.QUARTERLY
    )
    baseline_value = NumberField(label=_("Baseline"), required=False)
    baseline_date = forms.DateField(label=_("Baseline date"), required=False, widget=DATE)
    responsible = forms.ModelChoiceField(
        label=_("Responsible partner"), queryset=Organisation.objects.none()
    )
    sdg_indicator = forms.CharField(
        label=_("SDG indicator"), required=False, max_length=20, help_text=_("e.g. 3.b.1")
    )
    dimensions = DimensionChoices(
        label=_("Disaggregated by"),
        queryset=Dimension.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, partnership: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["result"].queryset = Result.objects.filter(partnership=partnership)
        self.fields["responsible"].queryset = Organisation.objects.filter(
            participations__partnership=partnership
        ).distinct()
        self.fields["dimensions"].queryset = Dimension.objects.filter(partnership=partnership)

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["dimensions"] = list(data.get("dimensions") or [])
        return data


class DimensionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=DimensionKind.choices)
    categories = forms.CharField(
        label=_("Categories"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One a line: code, label. Leave empty for the usual categories of sex, age or province."
        ),
    )
    exhaustive = forms.BooleanField(
        label=_("The categories cover everyone"), required=False, initial=True
    )

    def clean_categories(self) -> str:
        text = self.cleaned_data.get("categories", "")
        if sum(1 for line in text.splitlines() if line.strip()) > MAX_CATEGORIES:
            # As many as the API takes; refused before any line is read.
            raise ValidationError(_("Give at most %(n)d categories.") % {"n": MAX_CATEGORIES})
        return text

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        categories = []
        for line in data.pop("categories", "").splitlines():
            if not line.strip():
                continue
            code, _sep, label = line.partition(",")
            categories.append({"code": code.strip(), "label": label.strip() or code.strip()})
        data["categories"] = categories or None
        return data


class DashboardFilterForm(forms.Form):
    """The dashboard's indicator table: which indicators (progress, responsible partner,
    result) and which page of them. A partner or result that is not the partnership's
    matches no indicator; a page past the last shows the last."""

    progress = forms.ChoiceField(
        label=_("Progress"), choices=[("", _("All")), *Progress.choices], required=False
    )
    partner = forms.IntegerField(
        label=_("Responsible partner"), required=False, min_value=1, max_value=2**63 - 1
    )
    result = forms.IntegerField(label=_("Result"), required=False, min_value=1, max_value=2**63 - 1)
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=10**6)
