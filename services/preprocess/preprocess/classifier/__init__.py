"""Classifiers behind one interface: Triton over gRPC (always in deployments) and an
in-process ONNX Runtime fallback (no Triton wheel on this platform; bench baseline)."""
