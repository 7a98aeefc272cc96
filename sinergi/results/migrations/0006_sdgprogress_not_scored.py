"""SDG rows count qualitative indicators as "not scored", apart from "no data yet".

The rows used to fold the two together; the dashboard's totals kept them apart, so the
same indicator was "no data yet" in one table and "not scored" in the other. Existing
rows are split here: a qualitative indicator is never scored, so each row's
qualitative indicators (by code, within its partnership) move from `no_data` to
`not_scored`. Only the partnerships with a qualitative indicator are read, a few
thousand rows at a time.
"""

from django.db import migrations, models

QUALITATIVE = "5"  # IATI IndicatorMeasure
CHUNK = 2000


def split_not_scored(apps, schema_editor):
    Indicator = apps.get_model("results", "Indicator")
    SdgProgress = apps.get_model("results", "SdgProgress")
    qualitative = Indicator.objects.filter(measure=QUALITATIVE)
    rows = SdgProgress.objects.filter(
        partnership_id__in=qualitative.values("partnership_id")
    ).order_by("partnership_id", "pk")
    codes: set[str] = set()
    codes_of = None
    changed = []
    for row in rows.iterator(chunk_size=CHUNK):
        if row.partnership_id != codes_of:
            codes_of = row.partnership_id
            codes = set(qualitative.filter(partnership_id=codes_of).values_list("code", flat=True))
        count = sum(1 for code in row.indicator_codes or () if code in codes)
        if count:
            row.not_scored = count
            row.no_data = max(row.no_data - count, 0)
            changed.append(row)
        if len(changed) >= CHUNK:
            SdgProgress.objects.bulk_update(changed, ["no_data", "not_scored"])
            changed = []
    SdgProgress.objects.bulk_update(changed, ["no_data", "not_scored"])


def fold_not_scored(apps, schema_editor):
    SdgProgress = apps.get_model("results", "SdgProgress")
    SdgProgress.objects.filter(not_scored__gt=0).update(
        no_data=models.F("no_data") + models.F("not_scored"), not_scored=0
    )


class Migration(migrations.Migration):
    dependencies = [
        ("results", "0005_submission_editors"),
    ]

    operations = [
        migrations.AddField(
            model_name="sdgprogress",
            name="not_scored",
            field=models.PositiveIntegerField(default=0, verbose_name="not scored"),
        ),
        migrations.RunPython(split_not_scored, fold_not_scored),
    ]
