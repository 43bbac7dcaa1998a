"""The patient's Fitzpatrick self-report: six questionnaire items and their scoring.

The items are the genetic-disposition and sun-reaction questions of the Fitzpatrick
questionnaire as it is commonly administered (Fitzpatrick, Arch. Dermatol. 1988;124:869; the
scored form reproduced by ARPANSA and in He et al., JAAD 2014): each answer scores 0-4, light
and sun-sensitive to dark and sun-tolerant. The full form has ten items scored 0-40 with types
at 0-6, 7-13, 14-20, 21-27, 28-34 and 35+. With six items (0-24) we scale those cut-offs by
24/40 -- an approximation we state wherever the type is shown, which is why the answers are
always stored as given and the derived type is never written over a type the patient stated.
"""

from django.utils.translation import gettext_lazy as _

QUESTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "eye_colour",
        _("Eye colour"),
        (
            _("Light blue, grey or green"),
            _("Blue, grey or green"),
            _("Blue"),
            _("Dark brown"),
            _("Brownish black"),
        ),
    ),
    (
        "hair_colour",
        _("Natural hair colour"),
        (_("Sandy red"), _("Blond"), _("Chestnut or dark blond"), _("Dark brown"), _("Black")),
    ),
    (
        "skin_colour",
        _("Colour of skin that is not exposed to the sun"),
        (
            _("Reddish"),
            _("Very pale"),
            _("Pale with a beige tint"),
            _("Light brown"),
            _("Dark brown"),
        ),
    ),
    (
        "freckles",
        _("Freckles on skin that is not exposed to the sun"),
        (_("Many"), _("Several"), _("A few"), _("Incidental"), _("None")),
    ),
    (
        "sun_burn",
        _("What happens when you stay in the sun too long?"),
        (
            _("Painful redness, blistering, peeling"),
            _("Blistering followed by peeling"),
            _("Burns sometimes followed by peeling"),
            _("Rare burns"),
            _("Never had burns"),
        ),
    ),
    (
        "tanning",
        _("To what degree do you turn brown?"),
        (
            _("Hardly or not at all"),
            _("Light tan"),
            _("Reasonable tan"),
            _("Tan very easily"),
            _("Turn dark brown quickly"),
        ),
    ),
)
QUESTION_KEYS = tuple(key for key, _label, _answers in QUESTIONS)
MAX_SCORE = 4 * len(QUESTIONS)
# Upper score of types I..V on the ten-item form (0-40), scaled to six items.
_TEN_ITEM_UPPER = (6, 13, 20, 27, 34)
TYPE_UPPER_BOUNDS = tuple(round(v * MAX_SCORE / 40, 1) for v in _TEN_ITEM_UPPER)


def check_answers(answers: dict) -> dict[str, int]:
    """All six answers as integers 0-4; ValueError naming what is wrong otherwise."""
    if not isinstance(answers, dict):
        raise ValueError("the questionnaire answers must be an object of item: score")
    unknown = sorted(set(answers) - set(QUESTION_KEYS))
    if unknown:
        raise ValueError(f"unknown questionnaire items {unknown}; expected {list(QUESTION_KEYS)}")
    missing = [key for key in QUESTION_KEYS if key not in answers]
    if missing:
        raise ValueError(f"questionnaire items missing: {missing}")
    clean = {}
    for key in QUESTION_KEYS:
        value = answers[key]
        if isinstance(value, bool) or str(value).strip() not in {"0", "1", "2", "3", "4"}:
            raise ValueError(f"questionnaire item {key!r} must score 0-4, got {value!r}")
        clean[key] = int(str(value).strip())
    return clean


def questionnaire_type(answers: dict) -> int:
    """The Fitzpatrick type 1-6 of six answers (see the module docstring for the scoring)."""
    score = sum(check_answers(answers).values())
    for skin_type, upper in enumerate(TYPE_UPPER_BOUNDS, start=1):
        if score <= upper:
            return skin_type
    return 6
