"""Benchmarks that print figures (never asserted in tests). See bench/README.md."""
