"""A command run in this process, as a terminal would see it end: its exit code, stdout and stderr."""

from collections.abc import Callable

import pytest


def run_main(
    main: Callable[[list[str]], int | None], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """`main(argv)`'s exit code, whether it returns it or exits with it (argparse's usage errors do), and
    what it wrote to stdout and stderr."""
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(argv))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err
