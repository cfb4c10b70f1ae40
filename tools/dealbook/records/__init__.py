"""The record format: the YAML loader, dates, diagnostics, settings and their defaults, the JSON
Schemas, the record model (Customer, FollowUp, Member), ids, the Book, atomic writes and caches,
and the Book snapshot.

May import: `text`. Everything above builds on this room.
"""
