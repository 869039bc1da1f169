"""Migrations of the data: backfills that are code in the package, run online, paced and resumable.

`registry` holds them in order (`migration` says what one is); `plan` counts or estimates what one
changes and costs; `runner` runs one as a parallel scan of conditional writes (`expressions`), paced
(`pacing`, `options`), with a checkpoint per segment in the table itself (`checkpoints`).
"""
