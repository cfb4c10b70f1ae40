"""One module per `dealbook` command; each is a thin layer over the pure modules."""
