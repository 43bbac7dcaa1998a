from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from repository.forms import GuardedAdminAuthenticationForm, GuardedAuthenticationForm

admin.site.site_header = _("PixGen administration")
admin.site.login_form = GuardedAdminAuthenticationForm

# The site's own pages for errors, and JSON under /api/ (repository/views/errors.py).
handler400 = "repository.views.errors.bad_request"
handler403 = "repository.views.errors.permission_denied"
handler404 = "repository.views.errors.page_not_found"
handler500 = "repository.views.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=GuardedAuthenticationForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("repository.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("synthesis/", include("synthesis.urls")),
    path("", include("repository.urls")),
]
