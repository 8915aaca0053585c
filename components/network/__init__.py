"""The platform's VPC: per-AZ subnets, NAT, endpoints, flow logs, and which zones it spans."""
