"""Token-validation settings every service has (mixed into each service's Settings, so
they read ``GATEWAY_AUTH_*``, ``INGEST_AUTH_*``, ``PREPROCESS_AUTH_*``)."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from ailurus_common.auth.local import DEFAULT_AUDIENCE, SERVICE_AUDIENCE


class AuthSettings(BaseModel):
    # local: tokens signed with the key file below (the embedded default); entra: Microsoft
    # Entra ID access tokens, validated against the tenant's JWKS.
    auth_mode: Literal["local", "entra"] = "local"
    # Entra: the API app's Application ID URI for v1 tokens, its client id (GUID) for v2 tokens.
    auth_audience: str = Field(default=DEFAULT_AUDIENCE, min_length=1)
    # The internal API (ingest, preprocess): its own audience, so that no token for the public
    # API (a user's, a partner's) passes there. Entra: the internal app registration's
    # Application ID URI, whose `service` app role only the gateway's identity holds.
    auth_service_audience: str = Field(default=SERVICE_AUDIENCE, min_length=1)
    # Entra: e.g. https://login.microsoftonline.com/<tenant-id>/v2.0 (local mode uses its own).
    auth_issuer: str | None = None
    # Entra: https://login.microsoftonline.com/<tenant-id>/v2.0/.well-known/openid-configuration
    auth_metadata_url: str | None = None
    auth_leeway_s: float = Field(default=60.0, ge=0, le=300)
    # Local mode: the RSA signing key (created by the first service that needs it).
    auth_key_path: Path = Path("var/auth/local-signing-key.pem")

    @model_validator(mode="after")
    def _entra_configured(self) -> "AuthSettings":
        if self.auth_mode == "entra":
            missing = [name for name in ("auth_issuer", "auth_metadata_url") if not getattr(self, name)]
            if missing:
                raise ValueError(f"auth_mode=entra needs {', '.join(m.upper() for m in missing)} (with the service prefix)")
            if not self.auth_metadata_url.startswith("https://"):
                raise ValueError("AUTH_METADATA_URL must be https: the signing keys are fetched from it")
        if self.auth_service_audience == self.auth_audience:
            raise ValueError("AUTH_SERVICE_AUDIENCE must differ from AUTH_AUDIENCE: "
                             "internal services take only service tokens")
        return self
