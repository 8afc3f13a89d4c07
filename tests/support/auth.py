"""Bearer tokens for a running stack's gateway (local auth mode)."""

from ailurus_tools.stack import Stack


def auth_headers(stack: Stack, role: str = "admin", *, app_only: bool = False) -> dict[str, str]:
    """``Authorization`` header with a token signed by the stack's own local key
    (``app_only``: a partner's client-credentials token)."""
    return {"Authorization": f"Bearer {stack.token(role, app_only=app_only)}"}
