"""Auth errors: a stable code each; 401s tell the client to send a Bearer token (RFC 6750)."""

from ailurus_common.errors import AilurusError, ServiceUnavailable

REALM = "ailurus"


class AuthError(AilurusError):
    """The request is not authenticated: 401 with ``WWW-Authenticate: Bearer``."""

    status_code = 401
    code = "invalid_token"
    # RFC 6750 error attribute; None when no credentials were sent at all.
    bearer_error: str | None = "invalid_token"

    @property
    def headers(self) -> dict[str, str]:
        challenge = f'Bearer realm="{REALM}"'
        if self.bearer_error:
            challenge += f', error="{self.bearer_error}"'
        return {"WWW-Authenticate": challenge}


class MissingToken(AuthError):
    code = "missing_token"
    bearer_error = None


class InvalidToken(AuthError):
    code = "invalid_token"


class TokenExpired(AuthError):
    code = "token_expired"


class TokenNotYetValid(AuthError):
    code = "token_not_yet_valid"


class InvalidAudience(AuthError):
    code = "invalid_audience"


class InvalidIssuer(AuthError):
    code = "invalid_issuer"


class UnknownSigningKey(AuthError):
    code = "unknown_signing_key"


class InvalidCredentials(AuthError):
    """Local sign-in: wrong user name or password (never says which)."""

    code = "invalid_credentials"
    bearer_error = None


class Forbidden(AuthError):
    """Authenticated, but without the role the route needs."""

    status_code = 403
    code = "forbidden"
    bearer_error = "insufficient_scope"


class AuthUnavailable(ServiceUnavailable):
    """The signing keys (the identity provider's JWKS, the local users file) cannot be read now."""

    code = "auth_unavailable"


class LocalSignInDisabled(AilurusError):
    """Password sign-in exists only in local mode; with Entra ID users sign in with MSAL."""

    status_code = 404
    code = "local_sign_in_disabled"
