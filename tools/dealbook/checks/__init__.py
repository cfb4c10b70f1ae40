"""Checks over the records: per file (`filechecks`), across records (`crosschecks`, `dedupe`,
`ownership`), and `reading`, which reads the whole repo through the parse cache, runs the
checks and opens the Book (`open_book`, `check_repo`, `stored_view`).

May import: `text`, `records`.
"""
