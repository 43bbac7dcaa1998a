"""Whole numbers typed by people: only ASCII digits count. str.isdigit() also accepts "²" or
"①", which int() then refuses with Python's own error (a 500, or its text on a page)."""

# 18 digits fit a 64-bit column in every database PixGen runs on.
MAX_DIGITS = 18


def ascii_whole(value) -> int | None:
    """The non-negative integer a string of ASCII digits spells (surrounding spaces allowed),
    or None for anything else: signs, decimals, other scripts' digits, over-long numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10**MAX_DIGITS else None
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_DIGITS:
        return None
    return int(text)
