"""Auth errors: a stable code each; 401s tell the client to send a Bearer token (RFC 6750)."""

from ailurus_common.errors import AilurusError, ErrorCode, ServiceUnavailable

REALM = "ailurus"


class AuthError(AilurusError):
    """The request is not authenticated: 401 with ``WWW-Authenticate: Bearer``."""

    status_code = 401
    code = ErrorCode.INVALID_TOKEN
    # RFC 6750 error attribute; None when no credentials were sent at all.
    bearer_error: str | None = "invalid_token"

    @property
    def headers(self) -> dict[str, str]:
        challenge = f'Bearer realm="{REALM}"'
        if self.bearer_error:
            challenge += f', error="{self.bearer_error}"'
        return {"WWW-Authenticate": challenge}


class MissingToken(AuthError):
    code = ErrorCode.MISSING_TOKEN
    bearer_error = None


class InvalidToken(AuthError):
    code = ErrorCode.INVALID_TOKEN


class TokenExpired(AuthError):
    code = ErrorCode.TOKEN_EXPIRED


class TokenNotYetValid(AuthError):
    code = ErrorCode.TOKEN_NOT_YET_VALID


class TokenRevoked(AuthError):
    code = ErrorCode.TOKEN_REVOKED


class InvalidAudience(AuthError):
    code = ErrorCode.INVALID_AUDIENCE


class InvalidIssuer(AuthError):
    code = ErrorCode.INVALID_ISSUER


class UnknownSigningKey(AuthError):
    code = ErrorCode.UNKNOWN_SIGNING_KEY


class InvalidCredentials(AuthError):
    """Local sign-in: wrong user name or password (never says which)."""

    code = ErrorCode.INVALID_CREDENTIALS
    bearer_error = None


class Forbidden(AuthError):
    """Authenticated, but without the role the route needs."""

    status_code = 403
    code = ErrorCode.FORBIDDEN
    bearer_error = "insufficient_scope"


class AuthUnavailable(ServiceUnavailable):
    """The signing keys (the identity provider's JWKS, the local users file) cannot be read now."""

    code = ErrorCode.AUTH_UNAVAILABLE


class LocalSignInDisabled(AilurusError):
    """Password sign-in exists only in local mode; with Entra ID users sign in with MSAL."""

    status_code = 404
    code = ErrorCode.LOCAL_SIGN_IN_DISABLED
