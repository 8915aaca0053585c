"""The OpenSearch domain behind autocomplete: the domain, its alarms, the engine support calendar,
and its size derived from the index it serves."""
