"""Run the real Triton Inference Server from the ``nvidia-pytriton`` wheel locally."""
