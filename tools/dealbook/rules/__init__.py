"""The sales rules as pure functions of (book, today): grades (`grading`), due dates (`due`),
thresholds, the per-customer state (`state.evaluate`) and the agenda.

May import: `text`, `records`, `checks`.
"""
