"""District OCOP plans as data: the entries of a plan's tables, loaded and validated."""
