"""Authentication and roles shared by every service: Entra ID token validation (JWKS),
the local sign-in mode of the embedded default, and the principal a token stands for."""

from ailurus_common.auth.errors import AuthError, AuthUnavailable, Forbidden
from ailurus_common.auth.local import DEFAULT_AUDIENCE, LOCAL_ISSUER, SERVICE_AUDIENCE, LocalIssuer, LocalUsers
from ailurus_common.auth.principal import Principal, Role
from ailurus_common.auth.tokens import TokenValidator

__all__ = ["DEFAULT_AUDIENCE", "LOCAL_ISSUER", "AuthError", "AuthUnavailable", "Forbidden", "LocalIssuer", "LocalUsers",
           "Principal", "Role", "SERVICE_AUDIENCE", "TokenValidator"]
