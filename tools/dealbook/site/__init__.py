"""The internal website: an MkDocs plugin that turns the records into pages at build time.

A renderer, like `cli`: may import every room below (`text`, `records`, `checks`, `rules`,
`reports`, `git`, `interchange`, `editing`), never `cli`.
"""
