"""Spot interruption handling: the EC2 and Auto Scaling events, the queue they land in, the Node
Termination Handler that drains nodes from it, and the drain budget that must fit the notice."""
