"""Who is calling: the roles the API knows and the principal a validated token stands for."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SERVICE_ROLE = "service"  # the internal app role (see ailurus_common.auth.local)


class Role(StrEnum):
    """Entra ID app roles (the values in the token's ``roles`` claim)."""

    VIEWER = "viewer"
    UPLOADER = "uploader"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    def implied(self) -> frozenset["Role"]:
        """This role and every role it includes: admin includes all; uploader and reviewer include viewer."""
        return _IMPLIED[self]


_IMPLIED = {
    Role.VIEWER: frozenset({Role.VIEWER}),
    Role.UPLOADER: frozenset({Role.UPLOADER, Role.VIEWER}),
    Role.REVIEWER: frozenset({Role.REVIEWER, Role.VIEWER}),
    Role.ADMIN: frozenset(Role),
}


def effective_roles(granted: Iterable[str]) -> frozenset[Role]:
    """The granted role names plus what they imply; names that are not roles of ours are ignored
    (an Entra app may carry other roles), matched case-insensitively."""
    known = {r.value: r for r in Role}
    roles: set[Role] = set()
    for name in granted:
        if isinstance(name, str) and (role := known.get(name.strip().lower())):
            roles |= role.implied()
    return frozenset(roles)


@dataclass(frozen=True)
class Principal:
    """The caller behind a validated token.

    Attributes:
        subject: stable id (Entra ``oid``, else ``sub``; the user name in local mode).
        name: display name (``name``/``preferred_username``, the client id for app-only tokens).
        roles: effective roles, implied ones included.
        app_only: a client-credentials token (a partner's service), not a signed-in user.
        service: an app-only token holding the internal ``service`` role (the gateway's identity).
        token_id: the token's ``jti`` (what signing out revokes), when it has one.
        expires_at: the token's ``exp`` (Unix time).
        client_id: the application the token was issued to (``azp`` in v2 tokens, ``appid`` in
            v1): a partner's app id for app-only tokens.
    """

    subject: str
    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    app_only: bool = False
    service: bool = False
    token_id: str | None = None
    expires_at: float | None = None
    client_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", effective_roles(self.roles))

    def has(self, role: Role) -> bool:
        return role in self.roles

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> "Principal":
        """Build from validated claims. App-only tokens carry no ``scp`` (delegated scopes);
        Entra also marks them ``idtyp: app`` when that optional claim is configured."""
        subject = str(claims.get("oid") or claims.get("sub"))
        idtyp = claims.get("idtyp")
        app_only = idtyp == "app" or (idtyp != "user" and "scp" not in claims)
        name = (claims.get("name") or claims.get("preferred_username")
                or (claims.get("azp") or claims.get("appid") if app_only else None) or subject)
        roles = claims.get("roles") or []
        roles = roles if isinstance(roles, list) else []
        jti, exp = claims.get("jti"), claims.get("exp")
        client_id = claims.get("azp") or claims.get("appid")
        return cls(subject=subject, name=str(name), roles=frozenset(roles), app_only=app_only,
                   service=app_only and SERVICE_ROLE in roles, token_id=jti if isinstance(jti, str) else None,
                   expires_at=float(exp) if isinstance(exp, (int, float)) else None,
                   client_id=str(client_id) if client_id else None)
