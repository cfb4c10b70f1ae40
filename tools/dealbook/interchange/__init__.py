"""Spreadsheets in and out: `import` (sheets, xlsx reader, field mapping, the pre-write check,
merging) and `export` (csv, xlsx, sqlite, json).

May import: `text`, `records`, `checks`, `rules`, `reports`, `editing` (an import writes its
changes through the round-trip editor). Not `git` (its sibling), nor the renderers.
"""
