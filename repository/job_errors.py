"""Why a job or one of its items failed, stored as a stable code and its parameters and put
into words when someone reads it: the page and the API's human-readable `error` follow the
reader's language while `error_code` never changes. The worker also keeps the English words in
`error` (admin, logs, old clients)."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

# code -> message; "rejected" and "other" hold a list of messages instead (see text()).
MESSAGES = {
    "worker_lost": gettext_noop(
        "The worker running this job was lost %(times)s times; it is stopped so that it cannot "
        "take another worker down. Retry it once the cause is fixed."
    ),
    "item_worker_lost": gettext_noop(
        "The worker was lost %(times)s times while rendering this item."
    ),
    "time_limit": gettext_noop("The %(what)s ran past its time limit and was stopped."),
    "all_items_failed": gettext_noop("All %(count)s items failed."),
    "unexpected": gettext_noop("Unexpected error: %(error)s"),
    "cancelled_at_step": gettext_noop("Cancelled at step %(n)s."),
}
LISTS = {"rejected", "near_duplicates", "other"}
CODES = frozenset(MESSAGES) | LISTS
# Parameters that are themselves catalogued words (a job's kind of work), not data.
WORDS = {"what"}


def _jsonable(value):
    return value if isinstance(value, int | float | bool | type(None)) else str(value)


@dataclass(frozen=True)
class JobError:
    code: str
    params: dict = field(default_factory=dict)

    @classmethod
    def of(cls, code: str, **params) -> "JobError":
        if code not in CODES:
            raise ValueError(f"unknown job error code {code!r}")
        return cls(code, {k: _jsonable(v) for k, v in params.items()})

    @classmethod
    def messages(cls, code: str, messages) -> "JobError":
        """A list of (message, params) pairs: each message is a catalogued msgid (or text)."""
        listed = [
            {"message": str(m), "params": {k: _jsonable(v) for k, v in (p or {}).items()}}
            for m, p in messages
        ]
        return cls(code, {"messages": listed})

    @classmethod
    def from_exception(cls, exc: BaseException) -> "JobError":
        """A rule that refused the work (ValidationError: its messages, with their parameters
        kept apart where the raiser gave them) or an unexpected error (its type and text)."""
        if isinstance(exc, ValidationError):
            pairs = []
            for error in exc.error_list if hasattr(exc, "error_list") else []:
                params = error.params if isinstance(error.params, dict) else None
                pairs.append((error.message, params))
            if not pairs:
                pairs = [(m, None) for m in exc.messages]
            return cls.messages("rejected", pairs)
        return cls.of("unexpected", error=f"{type(exc).__name__}: {exc}")

    def text(self) -> str:
        """The reason in the active language."""
        if self.code in LISTS:
            parts = [_message(m.get("message", ""), m.get("params")) for m in self._listed()]
            return ("\n" if self.code == "near_duplicates" else " ").join(parts)
        if self.code not in MESSAGES:
            return str(self.params.get("text", ""))
        params = {k: gettext(v) if k in WORDS else v for k, v in self.params.items()}
        try:
            return gettext(MESSAGES[self.code]) % params
        except (KeyError, TypeError, ValueError):  # parameters from an older version
            return gettext(MESSAGES[self.code])

    def english(self) -> str:
        with translation.override("en"):
            return self.text()

    def fields(self, *, limit: int = 4000) -> dict:
        """What a row stores: the code, the parameters and the English words."""
        return {
            "error_code": self.code,
            "error_params": self.params,
            "error": self.english()[:limit],
        }

    def _listed(self) -> list[dict]:
        listed = self.params.get("messages")
        return [m for m in listed if isinstance(m, dict)] if isinstance(listed, list) else []


def _message(message: str, params) -> str:
    text = gettext(message) if message else ""
    if params:
        try:
            return text % params
        except (KeyError, TypeError, ValueError):
            return text
    return text


CLEARED = {"error": "", "error_code": "", "error_params": {}}


def stored_error_message(row) -> str:
    """A row's reason in the reader's language (rows from before codes: their text)."""
    if row.error_code:
        return JobError(row.error_code, row.error_params or {}).text()
    return row.error
