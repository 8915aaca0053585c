"""The EKS control plane: its access entries and keys, managed add-ons, the on-demand system pool,
the scheduling priorities, and the hardening and version facts every cluster add-on shares."""
