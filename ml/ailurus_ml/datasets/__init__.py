"""Dataset snapshots: importers for folder trees, COCO Camera Traps and Camtrap DP, the
shared import engine (labels, problems, dedup) and the snapshot store in ``datasets/``."""
