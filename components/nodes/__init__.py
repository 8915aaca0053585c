"""What every node of the platform shares, whichever pool or engine launches it: the labels and
taints that tie workloads to pools, the launch settings (IMDSv2, an encrypted gp3 root), the node
IAM role, the nodeadm user data, and the catalog of EC2 instance types with their prices."""
