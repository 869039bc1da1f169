"""How a migration run goes: workers, segments, pace and page size, with their defaults and limits
(light to import: the command's --help shows them)."""

from __future__ import annotations

from dataclasses import dataclass

from kvtable.schema.errors import InvalidInputError

DEFAULT_WORKERS = 4
MAX_WORKERS = 32
SEGMENTS_PER_WORKER = 4  # more segments than workers: a worker done early takes another
MAX_SEGMENTS = 1_000_000  # DynamoDB's limit on TotalSegments
MAX_PAGE_SIZE = 10_000
DEFAULT_PAGE_SIZE = 500  # items a page evaluates: at most this many are scanned again after a kill
DEFAULT_MAX_WRITE_UNITS = 500.0


@dataclass(frozen=True)
class RunOptions:
    """How a run goes: `workers` threads over `segments` scan segments (None: the checkpoints' count, or
    4 a worker), at most `max_write_units` a second, pages of `page_size` items."""

    workers: int = DEFAULT_WORKERS
    segments: int | None = None
    max_write_units: float = DEFAULT_MAX_WRITE_UNITS
    page_size: int = DEFAULT_PAGE_SIZE

    def segment_count(self) -> int:
        """Segments for a run that starts afresh: as given, else 4 a worker."""
        return self.segments or self.workers * SEGMENTS_PER_WORKER

    def check(self) -> None:
        """InvalidInputError for options out of range."""
        if not 1 <= self.workers <= MAX_WORKERS:
            raise InvalidInputError(f"workers must be 1 to {MAX_WORKERS}, got {self.workers}")
        if self.segments is not None and not 1 <= self.segments <= MAX_SEGMENTS:
            raise InvalidInputError(f"segments must be 1 to {MAX_SEGMENTS:,}, got {self.segments}")
        if not self.max_write_units > 0:
            raise InvalidInputError(f"max write units must be above zero, got {self.max_write_units}")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise InvalidInputError(f"page size must be 1 to {MAX_PAGE_SIZE:,} items, got {self.page_size}")
