"""``python -m gateway.token_cli --role admin`` (``make token ROLE=admin``): print a bearer
token signed with the local-mode key, for calling the API with curl or the docs page.

Reads the same ``GATEWAY_*`` settings as the gateway, so the token matches its key and
audience. Only the token goes to stdout: ``TOKEN=$(make -s token ROLE=viewer)``.
"""

import argparse
import sys

from ailurus_common.auth import Role
from gateway.auth import local_issuer
from gateway.config import GatewaySettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a local-mode bearer token.")
    parser.add_argument("--role", choices=[r.value for r in Role], default=Role.ADMIN.value)
    parser.add_argument("--subject", help="who the token is for (default: cli-<role>)")
    parser.add_argument("--ttl-s", type=int, help="lifetime in seconds (default: GATEWAY_AUTH_TOKEN_TTL_S)")
    parser.add_argument("--app-only", action="store_true", help="an app-only token, as a partner's service gets")
    args = parser.parse_args(argv)
    settings = GatewaySettings()
    if settings.auth_mode != "local":
        print("token_cli: GATEWAY_AUTH_MODE is not local; get tokens from Entra ID (az account get-access-token)",
              file=sys.stderr)
        return 2
    subject = args.subject or f"cli-{args.role}"
    print(local_issuer(settings).issue(subject, [Role(args.role)], app_only=args.app_only, ttl_s=args.ttl_s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
