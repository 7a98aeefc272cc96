"""Site-wide admin behaviour: the "delete selected" action deletes and logs in one
transaction.

Django's own action writes the admin log rows and then deletes, each committing on its
own. Pages kept under the admin log's latest id (`sinergi.partnerships.queries`) could
then be kept, between the two commits, under the new id with the rows still there.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.actions import delete_selected
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse


@admin.action(
    permissions=["delete"],
    description=delete_selected.short_description,
)
def delete_selected_atomically(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    with transaction.atomic(using=queryset.db):
        return delete_selected(modeladmin, request, queryset)


admin.site.disable_action("delete_selected")
admin.site.add_action(delete_selected_atomically, "delete_selected")
