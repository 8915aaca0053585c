"""Offline cost estimation: the shipped price table (`prices`), support calendars
(`calendars`), per-type rules (`rules`), a node pool and its price (`node_pool`), the pools a
stack declares (`pools`, Karpenter's in `karpenter_pools`), the workloads' pods (`workloads`),
which pool they land on (`placement`) and how many nodes they take (`packing`), load balancers
from Ingresses (`ingresses`), the floor (`floor`), the estimate (`estimate`, `model`), the naive
posture (`naive`), a stack priced from its stack file (`stack`), the same stack under the other
capacity engine (`karpenter`), live EC2 prices (`live`) and rendering (`render`)."""
