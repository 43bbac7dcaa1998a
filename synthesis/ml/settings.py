"""What the training settings of every model family share: a dataclass that reads and writes
plain dicts (the job's JSON) and refuses names it does not know. No torch: the web checks a
job's settings with these before the worker trains with them."""

import dataclasses
from typing import Any, ClassVar, Self


class TrainingSettings:
    """Mixin for a @dataclass of hyper-parameters; `what` names the family in errors."""

    what: ClassVar[str] = "training"

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Self:
        unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown {cls.what} settings: {', '.join(sorted(unknown))}")
        return cls(**values)
