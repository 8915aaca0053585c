"""The shared ALB in front of the services: the AWS Load Balancer Controller, its IAM policy, and
the bucket its access logs go to."""
