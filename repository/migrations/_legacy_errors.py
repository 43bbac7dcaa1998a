"""Reading the English failure reasons stored before codes (migrations repository 0012,
synthesis 0014 and 0015): each becomes the code and parameters repository/job_errors.py words in the
reader's language. Text that matches no pattern is kept as one message ("other"), which is
still translated when it is a catalogued message. Frozen here so later code cannot change what
the migrations do."""

import re

PATTERNS = [
    (re.compile(r"^The worker running this job was lost (?P<times>\d+) times"), "worker_lost"),
    (
        re.compile(r"^The worker was lost (?P<times>\d+) times while rendering this item\.$"),
        "item_worker_lost",
    ),
    (re.compile(r"^The (?P<what>.+) ran past its time limit and was stopped\.$"), "time_limit"),
    (re.compile(r"^All (?P<count>\d+) items failed\.$"), "all_items_failed"),
    (re.compile(r"^Cancelled at step (?P<n>\d+)\.$"), "cancelled_at_step"),
    (
        re.compile(
            r"^(?P<error>[A-Z]\w*(?:Error|Exception|Exceeded|Exit|Interrupt|Lost)\b.*)$", re.S
        ),
        "unexpected",
    ),
]


def parse_legacy(text: str) -> tuple[str, dict]:
    """(code, parameters) of a stored English reason; ("", {}) for no reason."""
    if not text:
        return "", {}
    for pattern, code in PATTERNS:
        match = pattern.match(text)
        if match:
            return code, {k: int(v) if v.isdigit() else v for k, v in match.groupdict().items()}
    return "other", {"messages": [{"message": text, "params": {}}]}


def code_reasons(apps, app_label: str, model_names) -> None:
    """Fill error_code/error_params of every row with an error and no code yet."""
    for name in model_names:
        model = apps.get_model(app_label, name)
        rows = model.objects.exclude(error="").filter(error_code="")
        for row in rows.iterator(chunk_size=500):
            code, params = parse_legacy(row.error)
            model.objects.filter(pk=row.pk).update(error_code=code, error_params=params)


def uncode_reasons(apps, app_label: str, model_names) -> None:
    """Backwards: the English text in `error` is still there; nothing to undo."""
