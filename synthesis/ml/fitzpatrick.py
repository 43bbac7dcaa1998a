"""Fitzpatrick skin types in one place: the types 1–6, their Roman numerals, the three coarse
groups and parsing. Plain Python (no Django, no torch): the vocabulary, forms, ML code and
commands all use it."""

TYPES = (1, 2, 3, 4, 5, 6)
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}
GROUPS = {"I-II": (1, 2), "III-IV": (3, 4), "V-VI": (5, 6)}
DARKER = (4, 5, 6)  # the types PixGen exists for
_FROM_ROMAN = {numeral: number for number, numeral in ROMAN.items()}


def check_type(value: object) -> int:
    """An integer type 1–6 (not a bool, not a string); ValueError otherwise."""
    if isinstance(value, bool) or value not in TYPES:
        raise ValueError(f"Fitzpatrick type must be an integer 1-6, got {value!r}")
    return int(value)


def roman(skin_type: int) -> str:
    return ROMAN[check_type(skin_type)]


def group_of(skin_type: int) -> str:
    """The coarse group a type falls in: "I-II", "III-IV" or "V-VI"."""
    skin_type = check_type(skin_type)
    return next(name for name, members in GROUPS.items() if skin_type in members)


def _text(value: object) -> str:
    text = str(value).strip().upper().replace("–", "-").replace(" ", "")
    return text[:-2] if text.endswith(".0") else text


def parse_type(value: object) -> int:
    """1–6 or I–VI (any case; "5.0" too) -> 1–6; anything else is a ValueError."""
    text = _text(value)
    if text.isascii() and text.isdigit() and 1 <= int(text) <= 6:
        return int(text)
    if text in _FROM_ROMAN:
        return _FROM_ROMAN[text]
    raise ValueError(f"Fitzpatrick type {value!r} is not one of 1–6 or I–VI")


def parse_type_or_group(value: object) -> tuple[int | None, str]:
    """1–6, I–VI or a group 12/34/56 (also I-II, …) -> (type or None, group name).

    A group-only value gives no type: it is never silently placed on one of its two types."""
    try:
        skin_type = parse_type(value)
    except ValueError:
        text = _text(value)
        for name, (a, b) in GROUPS.items():
            if text in (f"{a}{b}", f"{a}-{b}", name, name.replace("-", "")):
                return None, name
        raise ValueError(
            f"unknown Fitzpatrick value {value!r}; expected 1-6, I-VI or 12/34/56"
        ) from None
    return skin_type, group_of(skin_type)
