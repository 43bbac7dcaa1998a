from django.urls import path

from synthesis.views import jobs, media, segmenters, synthetic, templates

urlpatterns = [
    path("", jobs.job_list, name="synthesis-jobs"),
    path("jobs/new/", jobs.job_create, name="synthesis-job-create"),
    path("jobs/<int:pk>/", jobs.job_detail, name="synthesis-job-detail"),
    path("jobs/<int:pk>/progress.json", jobs.job_progress, name="synthesis-job-progress"),
    path("jobs/<int:pk>/cancel/", jobs.job_cancel_view, name="synthesis-job-cancel"),
    path("jobs/<int:pk>/retry/", jobs.job_retry_view, name="synthesis-job-retry"),
    path(
        "jobs/<int:pk>/items/<int:item_pk>/remove/",
        jobs.item_remove_view,
        name="synthesis-item-remove",
    ),
    path("images/", synthetic.synthetic_list, name="synthesis-images"),
    path("images/<int:pk>/", synthetic.synthetic_detail, name="synthesis-image-detail"),
    path("images/<int:pk>/<str:kind>/", media.synthetic_file, name="synthesis-image-file"),
    path("templates/", templates.template_list, name="synthesis-templates"),
    path("templates/new/", templates.template_create, name="synthesis-template-create"),
    path("templates/defaults/", templates.template_defaults, name="synthesis-template-defaults"),
    path("templates/<int:pk>/toggle/", templates.template_toggle, name="synthesis-template-toggle"),
    path("templates/<int:pk>/patch/", media.template_patch, name="synthesis-template-patch"),
    path("segmenters/", segmenters.segmenter_list, name="synthesis-segmenters"),
    path("segmenters/train/", segmenters.segmenter_train, name="synthesis-segmenter-train"),
]
