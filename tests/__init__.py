"""Haki test suite."""
