"""Developer tooling: model build, the local Triton launcher, the local stack."""
