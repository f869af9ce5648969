"""Adapters: turn platform updates into Inbound and Outbound into platform calls."""
