"""dealbook: a sales CRM whose database is a git repository of YAML files."""

__version__ = "0.1.0"
