"""The plate archive: the layout contract an operator fills, and readers for it."""
