"""Bearer tokens for a running stack's gateway (local auth mode)."""

from ailurus_tools.stack import Stack


def auth_headers(stack: Stack, role: str = "admin") -> dict[str, str]:
    """``Authorization`` header with a token signed by the stack's own local key."""
    return {"Authorization": f"Bearer {stack.token(role)}"}
