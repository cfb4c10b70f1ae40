"""User-facing text: the message catalog (`catalog`: gettext in the team's language, `.po`
files under `locale/`; `enums`: labels of fixed enumeration values; `messages`: the developer
tool that keeps the catalogs in step with the code) and table output for people and machines
(`output`: aligned text, JSON, CSV).

The bottom room: it imports nothing else from dealbook, and every room above may use it.
"""
