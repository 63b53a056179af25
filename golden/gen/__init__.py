"""Helper modules for golden/generate.py (see golden/README.md)."""
