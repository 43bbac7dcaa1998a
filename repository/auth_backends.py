"""Django's model backend behind the login guard: every sign-in path (the site's form, the
admin's, anything that calls authenticate()) counts failures and honours lockouts."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from repository.services.login_guard import (
    login_check_allowed,
    login_failure_record,
    login_success_record,
)


class GuardedModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        # PermissionDenied here stops authentication, even with the right password.
        login_check_allowed(request=request, username=username)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_failure_record(request=request, username=username)
        else:
            login_success_record(request=request, username=username)
        return user
