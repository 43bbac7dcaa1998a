"""Tells drf-spectacular how researcher tokens are sent, so the docs page can use them."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "repository.api.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token pxg_…` — issued once on your account page after accepting "
            "the data-use terms.",
        }
