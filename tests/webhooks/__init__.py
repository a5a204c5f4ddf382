"""Tests for webhooks/ (channels, outbound senders, sandbox, CLI)."""
