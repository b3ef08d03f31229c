"""Adapters: the only code that imports boto3 or talks HTTP. Each takes an optional client and creates
one lazily on first use, never at import time (STYLE §5)."""
