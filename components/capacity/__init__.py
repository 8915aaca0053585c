"""The worker pools that run the services: mixed spot/on-demand Auto Scaling groups, their nodes'
launch settings, role and user data, the instance catalog, the placement vocabulary, and the
cluster-autoscaler engine (plus the GPU pool's device plugin)."""
