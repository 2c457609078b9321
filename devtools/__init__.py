"""Tools for development only: settings/local.py uses them, production settings never do."""
