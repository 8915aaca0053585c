"""The worker pools that run the services: mixed spot/on-demand Auto Scaling groups (one per zone),
the cluster-autoscaler engine that grows and shrinks them, and the GPU pool's device plugin. The
node settings they share with the system pool and Karpenter live in `components.nodes`."""
