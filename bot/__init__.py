"""prbot: a chat assistant for the Beijing Foreign Permanent Resident ID Card."""

__version__ = "0.1.0"
