"""The slim ML service deployments: one component for any service, its Kubernetes objects as plain
data, the IAM statements it may declare, and the IRSA role it runs as."""
