"""User-facing text: table output for people and machines (aligned text, JSON, CSV).

The bottom room: it imports nothing else from dealbook, and every room above may use it.
"""
