"""Karpenter, the second capacity engine: its controller and IAM policy, its interruption queue,
and the worker pools as EC2NodeClasses and NodePools."""
