"""Task definitions (7-class diagnosis, benign/malignant) and label mappings."""

from dataclasses import dataclass

# HAM10000 diagnosis codes in a fixed order: a model's output index i is DX7_CLASSES[i].
DX7_CLASSES = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
MALIGNANT_DX = frozenset({"mel", "bcc", "akiec"})


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
