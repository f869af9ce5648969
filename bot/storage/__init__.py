"""Persistence: the SQLite store and its in-memory twin, held to one contract."""
