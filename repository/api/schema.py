"""What drf-spectacular cannot see for itself: how researcher tokens are sent (so the docs page
can use them), and every status an operation can answer with the body it carries (so a client,
and schemathesis in the test suite, can rely on the document)."""

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


ERROR = {
    "type": "object",
    "description": "What went wrong: `detail` for the request as a whole, or the names of the "
    "fields at fault, each with its messages.",
    "properties": {
        # One message, or several when a service refuses for more than one reason.
        "detail": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    },
    "additionalProperties": {
        "oneOf": [
            {"type": "string"},
            {"type": "array", "items": {}},
            {"type": "object"},
        ]
    },
}

# Any operation: a malformed query string or body (a NUL byte, an impossible date, too many
# fields), no or a bad credential, a role that may not, or the throttle.
ALWAYS = {
    "400": "Bad input; the body says which parameter or field and why.",
    "401": "Credentials are needed (or the token given is not valid).",
    "403": "These credentials may not do this.",
    "429": "Too many requests; `Retry-After` says when to try again.",
}
WITH_PATH_PARAMETERS = {"404": "No such object, or not one these credentials may see."}
WITH_BODY = {"415": "The body is not in a media type this operation reads."}


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: the error responses of every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    ref = {"$ref": "#/components/schemas/Error"}
    for path, item in result.get("paths", {}).items():
        for operation in item.values():
            codes = dict(ALWAYS)
            if "{" in path:
                codes.update(WITH_PATH_PARAMETERS)
            if operation.get("requestBody"):
                codes.update(WITH_BODY)
            responses = operation.setdefault("responses", {})
            for code, description in codes.items():
                responses.setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
            for code, response in responses.items():
                # A 4xx documented without a body (413 of exports) still answers JSON.
                if code.startswith("4") and not response.get("content"):
                    response["content"] = {"application/json": {"schema": ref}}
    return result
