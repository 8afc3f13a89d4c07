"""The gateway's side of auth: the validator (plus, in local mode, the signing key and users
file) built from settings, and the dependencies every ``/api/v1`` route declares: who is
calling (``current_principal``) and whether they hold a role (``require``)."""

import logging
from dataclasses import dataclass

from fastapi import Request

from ailurus_common.auth import LocalIssuer, LocalUsers, TokenValidator
from ailurus_common.auth.revocation import RevokedTokens
from ailurus_common.auth.service import current_principal, require  # noqa: F401 - the routes' import point
from gateway.config import GatewaySettings

log = logging.getLogger(__name__)


@dataclass
class GatewayAuth:
    """What the routes need at run time; ``issuer`` and ``users`` only in local mode."""

    mode: str
    validator: TokenValidator
    issuer: LocalIssuer | None = None
    users: LocalUsers | None = None
    revoked: RevokedTokens | None = None

    async def close(self) -> None:
        await self.validator.close()


def local_issuer(settings: GatewaySettings) -> LocalIssuer:
    """The local-mode issuer for the configured key file (created on first use)."""
    return LocalIssuer.from_key_file(settings.auth_key_path, audience=settings.auth_audience,
                                     ttl_s=settings.auth_token_ttl_s)


def open_auth(settings: GatewaySettings) -> GatewayAuth:
    """Build auth from settings. Blocking on first start in local mode (key generation,
    password hashing): call it in a thread."""
    if settings.auth_mode == "entra":
        validator = TokenValidator(issuer=settings.auth_issuer, audience=settings.auth_audience,
                                   metadata_url=settings.auth_metadata_url, leeway_s=settings.auth_leeway_s)
        return GatewayAuth(mode="entra", validator=validator)
    issuer = local_issuer(settings)
    users = LocalUsers(settings.auth_users_path)
    if passwords_file := users.ensure():
        log.warning("auth: created local users admin, reviewer, uploader and viewer; their first passwords are in %s "
                    "(readable only by you). Sign in with them, then delete that file.", passwords_file)
    elif users.expire_initial_passwords(settings.auth_initial_passwords_max_age_s):
        log.warning("auth: deleted the local first-passwords file: older than %d s",
                    settings.auth_initial_passwords_max_age_s)
    users.load()  # a broken users file stops the start, not the first sign-in
    revoked = RevokedTokens(settings.auth_revoked_path)
    log.info("auth: local mode, signing key %s, users in %s", settings.auth_key_path, settings.auth_users_path)
    return GatewayAuth(mode="local", validator=issuer.validator(leeway_s=settings.auth_leeway_s,
                                                                revoked=revoked.is_revoked),
                       issuer=issuer, users=users, revoked=revoked)


async def get_auth(request: Request) -> GatewayAuth:
    return request.app.state.auth
