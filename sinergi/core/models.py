"""What the platform keeps for itself, beside the partnerships' own records."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FormSubmission(models.Model):
    """A form that created something, by the one-time key it was shown with
    (`sinergi.core.once`): the same form sent again (a double click, a browser's retry, a
    slow network) finds it here and is shown what the first one made."""

    # SHA-256 of the person's id and the form's key: a key is only ever theirs.
    key = models.CharField(max_length=64, unique=True)
    location = models.CharField(_("where it went"), max_length=500)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        # Keys older than a week are pruned by age (`once.prune_form_keys`).
        indexes = [models.Index(fields=["created_at"], name="form_submission_created")]

    def __str__(self) -> str:
        return self.location
