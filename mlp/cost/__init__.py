"""Offline cost estimation: the shipped price table (`prices`), support calendars
(`calendars`), per-type rules (`rules`), node pools and workload packing (`pools`), load
balancers from Ingresses (`ingresses`), the estimate (`estimate`), the naive posture (`naive`),
live EC2 prices (`live`) and rendering (`render`)."""
