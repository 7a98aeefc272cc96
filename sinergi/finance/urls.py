"""Finance pages, under /<lang>/partnerships/<slug>/finance/."""

from django.urls import include, path

from sinergi.finance import views

urlpatterns = [
    path("", views.overview, name="finance-overview"),
    path("import/", include("sinergi.finance.import_urls")),
    path("transactions/", views.transaction_list, name="finance-transactions"),
    path("transactions/new/", views.transaction_new, name="finance-transaction-new"),
    path("transactions/<id:pk>/", views.transaction_detail, name="finance-transaction"),
    path(
        "transactions/<id:pk>/reverse/",
        views.transaction_reverse,
        name="finance-transaction-reverse",
    ),
    path(
        "transactions/<id:pk>/correct/",
        views.transaction_correct,
        name="finance-transaction-correct",
    ),
    path(
        "transactions/<id:pk>/decide/",
        views.transaction_decide,
        name="finance-transaction-decide",
    ),
    path(
        "transactions/<id:pk>/documents/",
        views.transaction_attach,
        name="finance-transaction-attach",
    ),
    path("documents/<id:pk>/", views.document_download, name="finance-document"),
    path("pledges/", views.pledge_list, name="finance-pledges"),
    path("pledges/new/", views.pledge_new, name="finance-pledge-new"),
    path("pledges/<id:pk>/status/", views.pledge_status, name="finance-pledge-status"),
    path("budget/", views.budget, name="finance-budget"),
    path("budget/new/", views.budget_line_new, name="finance-budget-new"),
    path("budget/<id:pk>/revise/", views.budget_line_revise, name="finance-budget-revise"),
    path("rates/", views.rates, name="finance-rates"),
    path("rates/import/", views.rates_import, name="finance-rates-import"),
    path("approval-rule/", views.approval_rule, name="finance-approval-rule"),
    path("export.csv", views.export_csv, name="finance-export-csv"),
    path("export.xlsx", views.export_xlsx, name="finance-export-xlsx"),
]
