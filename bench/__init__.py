"""Benchmarks that measure the service side by side with a bare baseline (see README.md)."""
