"""The internal website: an MkDocs plugin that turns the records into pages at build time."""
