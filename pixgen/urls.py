from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "PixGen administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("repository.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("synthesis/", include("synthesis.urls")),
    path("", include("repository.urls")),
]
