"""An empty system: every value is the library's default."""
