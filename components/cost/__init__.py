"""The cost posture as resources: the stack's budget and its cost allocation tags."""
