"""What an augmentation experiment runs and the checks made before any training starts: the
web form, the CLI and the worker refuse a plan with these, naming every problem at once."""

import math
from collections import Counter
from dataclasses import dataclass, field

from synthesis.ml.classifier.data import split_records
from synthesis.ml.classifier.tasks import get_task
from synthesis.ml.fitzpatrick import GROUPS

MAX_RATIO = 100
MAX_SEEDS = 20
STARTS = ("scratch", "checkpoint", "self_supervised")


class ExperimentInputError(ValueError):
    """The experiment cannot start; str() lists every problem found, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def ratio_key(ratio: float) -> str:
    return f"{float(ratio):g}"


def parse_ratios(text: "str | list") -> tuple[float, ...]:
    """'0,1,3,10' -> (0.0, 1.0, 3.0, 10.0); sorted, distinct, 0..MAX_RATIO."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    values = []
    for part in parts:
        try:
            value = float(str(part).strip())
        except ValueError:
            raise ValueError(f"synthetic ratio {str(part).strip()!r} is not a number") from None
        if not math.isfinite(value) or not 0 <= value <= MAX_RATIO:
            raise ValueError(f"synthetic ratio {value:g} is outside 0..{MAX_RATIO}")
        values.append(value)
    if not values:
        raise ValueError("give at least one synthetic ratio, e.g. 0,1,3")
    return tuple(sorted(set(values)))


@dataclass(frozen=True)
class ExperimentPlan:
    """Ratios x seeds, one split (split_seed) and one schedule (config) for every run."""

    task: str
    ratios: tuple[float, ...] = (0.0, 1.0, 3.0, 10.0)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    split_seed: int = 0
    test_fraction: float = 0.2
    config: dict = field(default_factory=dict)  # ClassifierConfig values but seed/test_fraction
    start: str = "scratch"
    checkpoint_path: str | None = None
    pretrain_epochs: int = 10

    def __post_init__(self):
        get_task(self.task)
        object.__setattr__(self, "ratios", parse_ratios(list(self.ratios)))
        if not self.seeds or len(self.seeds) > MAX_SEEDS or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"give 1 to {MAX_SEEDS} distinct seeds")
        if self.start not in STARTS:
            raise ValueError(f"start must be one of {', '.join(STARTS)}, not {self.start!r}")
        if (self.start == "checkpoint") != bool(self.checkpoint_path):
            raise ValueError("a checkpoint path goes with start='checkpoint' and only with it")
        if not 1 <= self.pretrain_epochs <= 500:
            raise ValueError("pretrain_epochs must be 1..500")
        clash = {"seed", "test_fraction", "checkpoint_path"} & set(self.config)
        if clash:
            raise ValueError(f"set {', '.join(sorted(clash))} on the plan, not in its config")

    def runs(self) -> list[tuple[float, int]]:
        return [(r, s) for r in self.ratios for s in self.seeds]

    def as_dict(self) -> dict:
        return {
            "task": self.task,
            "ratios": list(self.ratios),
            "seeds": list(self.seeds),
            "split_seed": self.split_seed,
            "test_fraction": self.test_fraction,
            "config": dict(self.config),
            "start": self.start,
            "checkpoint_path": self.checkpoint_path,
            "pretrain_epochs": self.pretrain_epochs,
        }


def plan_from_dict(values: dict) -> ExperimentPlan:
    """The plan back from its as_dict() (JSON lists become tuples)."""
    return ExperimentPlan(
        **{
            **values,
            "ratios": tuple(values["ratios"]),
            "seeds": tuple(values["seeds"]),
            "config": dict(values.get("config") or {}),
        }
    )


def run_key(ratio: float, seed: int) -> str:
    return f"r{ratio_key(ratio)}-s{seed}"


@dataclass(frozen=True)
class Prepared:
    """The checked inputs: labelled records, the fixed split, the synthetic images usable."""

    plan: ExperimentPlan
    records: list
    split: object
    eligible_synthetic: tuple[str, ...]  # synthetic images of training lesions, in id order
    needed: dict  # ratio key -> synthetic images that ratio needs
    held_out: list
    external: list | None
    dropped_unlabelled: int

    @property
    def n_train_real(self) -> int:
        return len(self.split.train) - len(self.eligible_synthetic)


def _labelled(records, task):
    keep, dropped = [], 0
    for r in records:
        try:
            r.label(task)
        except ValueError:
            dropped += 1
        else:
            keep.append(r)
    return keep, dropped


def _positive(record, task) -> bool:
    if task.name == "malignancy":
        return record.label(task) == 1
    from synthesis.ml.classifier.tasks import is_malignant

    return bool(is_malignant(record.dx))


def _group_problems(records, task, where: str) -> list[str]:
    """Each Fitzpatrick group present must hold positives and negatives to be scored at all."""
    problems = []
    by_group: dict[str, Counter] = {}
    for r in records:
        if r.fitzpatrick_group:
            by_group.setdefault(r.fitzpatrick_group, Counter())[_positive(r, task)] += 1
    for group in GROUPS:
        c = by_group.get(group)
        if c and (not c[True] or not c[False]):
            problems.append(
                f"{where}: Fitzpatrick group {group} has {c[True]} malignant and {c[False]} "
                "benign images; each group present needs both"
            )
    return problems


def prepare(records, plan: ExperimentPlan, *, external=None) -> Prepared:
    """Check everything an experiment needs before training; ExperimentInputError otherwise."""
    task = get_task(plan.task)
    problems = []
    records, dropped = _labelled(records, task)
    real = [r for r in records if not r.synthetic]
    if len(real) < 4:
        raise ExperimentInputError(
            [
                f"{len(real)} real images have a label for the {task.name} task "
                f"({dropped} without one); at least 4 are needed"
            ]
        )
    classes = Counter(r.label(task) for r in real)
    if len(classes) < 2:
        only = task.classes[next(iter(classes))]
        problems.append(f"every labelled real image is {only}: the {task.name} task needs two")
    try:
        split = split_records(records, seed=plan.split_seed, test_fraction=plan.test_fraction)
    except ValueError as exc:  # duplicate record ids
        raise ExperimentInputError([*problems, str(exc)]) from None
    synthetic = {r.record_id for r in records if r.synthetic}
    eligible = tuple(i for i in split.train if i in synthetic)
    n_real_train = len(split.train) - len(eligible)
    needed = {ratio_key(r): round(r * n_real_train) for r in plan.ratios}
    for ratio in plan.ratios:
        need = needed[ratio_key(ratio)]
        if need > len(eligible):
            problems.append(
                f"ratio {ratio:g} needs {need} approved synthetic images of training lesions "
                f"({ratio:g} x {n_real_train} real training images); {len(eligible)} exist"
                + (
                    f" (and {len(split.excluded)} of held-out lesions, never trained on)"
                    if split.excluded
                    else ""
                )
            )
    if plan.start == "checkpoint":
        problems += _checkpoint_problems(plan, task)
    by_id = {r.record_id: r for r in records}
    held_out = [by_id[i] for i in split.test]
    if external is not None:
        if not external:
            problems.append("the external set has no images")
        problems += _group_problems(external, task, "external set")
        if external and not any(_positive(r, task) for r in external):
            problems.append("the external set has no malignant images: no AUC can be computed")
    if problems:
        raise ExperimentInputError(problems)
    return Prepared(plan, records, split, eligible, needed, held_out, external, dropped)


def _checkpoint_problems(plan: ExperimentPlan, task) -> list[str]:
    from synthesis.ml.classifier.config import ClassifierConfig
    from synthesis.ml.classifier.models import build_model

    arch = ClassifierConfig.from_dict(dict(plan.config)).arch
    try:
        build_model(arch, task.num_classes, checkpoint_path=plan.checkpoint_path)
    except ValueError as exc:
        return [str(exc)]
    return []


def training_records(prepared: Prepared, ratio: float, seed: int) -> list:
    """Real records and the ratio's synthetic images (a seeded draw, nested across ratios)."""
    import numpy as np

    need = prepared.needed[ratio_key(ratio)]
    rng = np.random.default_rng([prepared.plan.split_seed, seed])
    order = rng.permutation(len(prepared.eligible_synthetic))
    chosen = {prepared.eligible_synthetic[i] for i in order[:need]}
    return [r for r in prepared.records if not r.synthetic or r.record_id in chosen]
