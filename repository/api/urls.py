from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from repository.api import downloads, metadata_csv, tone, views
from synthesis.api import jobs

urlpatterns = [
    path("images/", views.CatalogueList.as_view(), name="api-image-list"),
    path("images/<int:pk>/", views.ImageDetail.as_view(), name="api-image-detail"),
    path(
        "images/<int:pk>/tone-labels/",
        tone.ImageToneLabels.as_view(),
        name="api-image-tone-labels",
    ),
    path(
        "images/<int:pk>/self-report/",
        tone.ImageSelfReport.as_view(),
        name="api-image-self-report",
    ),
    path("tone-agreement/", tone.ToneAgreement.as_view(), name="api-tone-agreement"),
    path(
        "synthetic-images/<int:pk>/",
        views.SyntheticImageDetail.as_view(),
        name="api-synthetic-detail",
    ),
    path("contributions/", views.Contributions.as_view(), name="api-contributions"),
    path(
        "contributions/<int:pk>/withdraw/",
        views.ContributionWithdraw.as_view(),
        name="api-contribution-withdraw",
    ),
    path("requests/", views.Requests.as_view(), name="api-requests"),
    path("requests/<int:pk>/", views.RequestDetail.as_view(), name="api-request-detail"),
    path("coverage/", views.Coverage.as_view(), name="api-coverage"),
    path("metadata.csv", metadata_csv.MetadataCsv.as_view(), name="api-metadata-csv"),
    path("exports/", downloads.Exports.as_view(), name="api-exports"),
    path("exports/<int:pk>/", downloads.ExportDetail.as_view(), name="api-export-detail"),
    path("releases/", downloads.Releases.as_view(), name="api-releases"),
    path("releases/<str:tag>/", downloads.ReleaseDetail.as_view(), name="api-release-detail"),
    path("jobs/", jobs.Jobs.as_view(), name="api-jobs"),
    path("jobs/<int:pk>/", jobs.JobDetail.as_view(), name="api-job-detail"),
    path("jobs/<int:pk>/cancel/", jobs.JobCancel.as_view(), name="api-job-cancel"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
