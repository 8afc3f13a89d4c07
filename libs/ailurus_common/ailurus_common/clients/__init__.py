"""Typed clients of the internal services: one method per endpoint, the contract models in
and out, the request id and the caller's service token on every call."""
