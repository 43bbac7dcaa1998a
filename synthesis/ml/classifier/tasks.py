"""Task definitions (7-class diagnosis, benign/malignant) and label / Fitzpatrick mappings."""

from dataclasses import dataclass

# HAM10000 diagnosis codes in a fixed order: a model's output index i is DX7_CLASSES[i].
DX7_CLASSES = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
MALIGNANT_DX = frozenset({"mel", "bcc", "akiec"})

FITZPATRICK_GROUPS = {"I-II": (1, 2), "III-IV": (3, 4), "V-VI": (5, 6)}
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6}


@dataclass(frozen=True)
class Task:
    name: str
    classes: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def is_binary(self) -> bool:
        return self.num_classes == 2


TASKS = {
    "dx7": Task("dx7", DX7_CLASSES),
    "malignancy": Task("malignancy", ("benign", "malignant")),
}


def get_task(task: "str | Task") -> Task:
    if isinstance(task, Task):
        return task
    try:
        return TASKS[task]
    except KeyError:
        raise ValueError(f"unknown task {task!r}; expected one of {sorted(TASKS)}") from None


def normalise_dx(dx: str) -> str:
    """Case-insensitive diagnosis code -> canonical code; ValueError if not one of the 7."""
    code = str(dx).strip().lower()
    if code not in DX7_CLASSES:
        raise ValueError(f"unknown diagnosis {dx!r}; expected one of {', '.join(DX7_CLASSES)}")
    return code


def is_malignant(dx: str) -> int:
    return int(normalise_dx(dx) in MALIGNANT_DX)


def label_index(task: "str | Task", *, dx: str | None = None, malignant: int | None = None) -> int:
    """Class index of one image for a task, from its diagnosis code or its malignant flag."""
    task = get_task(task)
    if task.name == "dx7":
        if dx is None:
            raise ValueError("the dx7 task needs a diagnosis code")
        return DX7_CLASSES.index(normalise_dx(dx))
    if dx is not None:
        return is_malignant(dx)
    if malignant in (0, 1):
        return int(malignant)
    raise ValueError("the malignancy task needs a diagnosis code or a malignant flag of 0/1")


def parse_fitzpatrick(value: object) -> tuple[int | None, str]:
    """1-6, I-VI or a group 12/34/56 (also I-II, ...) -> (type or None, group name).

    A group-only value gives no type: it is never silently placed on one of its two types.
    """
    text = str(value).strip().upper().replace("–", "-").replace(" ", "")
    if text.endswith(".0"):
        text = text[:-2]
    if text.isdigit() and len(text) == 1 and 1 <= int(text) <= 6:
        return int(text), fitzpatrick_group(int(text))
    if text in _ROMAN:
        return _ROMAN[text], fitzpatrick_group(_ROMAN[text])
    for name, (a, b) in FITZPATRICK_GROUPS.items():
        if text in (f"{a}{b}", f"{a}-{b}", name, name.replace("-", "")):
            return None, name
    raise ValueError(f"unknown Fitzpatrick value {value!r}; expected 1-6, I-VI or 12/34/56")


def fitzpatrick_group(skin_type: int) -> str:
    for name, members in FITZPATRICK_GROUPS.items():
        if skin_type in members:
            return name
    raise ValueError(f"Fitzpatrick type must be 1-6, got {skin_type!r}")
