"""A stand-in ML service: prefix completions from a small in-memory vocabulary."""
