"""A clock that moves only when the code under test sleeps: waits and deadlines run out without waiting."""

from dataclasses import dataclass, field


@dataclass
class SteppedClock:
    """`clock()` reads the time; `sleep(s)` moves it on by `s` and records the sleep."""

    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
