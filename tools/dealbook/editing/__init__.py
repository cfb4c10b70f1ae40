"""Edits that keep the user's file: round-trip YAML edits (`roundtrip`), checked edits of records
(`edits`) and the templates of new records.

May import: `text`, `records`, `checks`, `rules`, `reports`. Not `git` or `interchange` (they
build on this room), nor the renderers.
"""
