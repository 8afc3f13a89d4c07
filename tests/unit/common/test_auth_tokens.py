"""TokenValidator against a real OpenID Connect metadata + JWKS endpoint served on loopback."""

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from ailurus_common.auth import Principal, Role, TokenValidator
from ailurus_common.auth.errors import AuthError, AuthUnavailable, Forbidden, MissingToken
from ailurus_common.auth.tokens import parse_jwks
from ailurus_tools.processes import free_port

ISSUER = "https://login.example.test/tenant-1/v2.0"
AUDIENCE = "api://ailurus-test"
METADATA_PATH = "/tenant-1/v2.0/.well-known/openid-configuration"
JWKS_PATH = "/tenant-1/discovery/v2.0/keys"


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict:
    return {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig", "alg": "RS256"}


class FakeIdentityProvider:
    """Metadata and JWKS over real HTTP; counts JWKS fetches; the key set can be swapped."""

    def __init__(self) -> None:
        self.keys: list[dict] = []
        self.jwks_requests = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path == METADATA_PATH:
                    body = {"issuer": ISSUER, "jwks_uri": f"{provider.url}{JWKS_PATH}"}
                elif self.path == JWKS_PATH:
                    provider.jwks_requests += 1
                    body = {"keys": list(provider.keys)}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-idp", daemon=True)

    @property
    def metadata_url(self) -> str:
        return f"{self.url}{METADATA_PATH}"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def keys() -> dict[str, rsa.RSAPrivateKey]:
    return {kid: rsa.generate_private_key(public_exponent=65537, key_size=2048) for kid in ("key-a", "key-b")}


@pytest.fixture(scope="module")
def idp_server() -> Iterator[FakeIdentityProvider]:
    idp = FakeIdentityProvider()
    idp.thread.start()
    yield idp
    idp.server.shutdown()
    idp.server.server_close()
    idp.thread.join(timeout=5)


@pytest.fixture
def idp(idp_server, keys) -> FakeIdentityProvider:
    idp_server.keys = [jwk(keys["key-a"], "key-a")]
    idp_server.jwks_requests = 0
    return idp_server


@pytest.fixture
async def make_validator(idp):
    created: list[TokenValidator] = []

    def make(**overrides) -> TokenValidator:
        options = {"issuer": ISSUER, "audience": AUDIENCE, "metadata_url": idp.metadata_url} | overrides
        created.append(TokenValidator(**options))
        return created[-1]

    yield make
    for validator in created:
        await validator.close()


def make_token(key, *, kid: str = "key-a", drop: tuple[str, ...] = (), **claims) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "pairwise-sub", "oid": "object-id-1", "name": "Ada Field",
               "iat": now, "nbf": now, "exp": now + 600, "scp": "access_as_user", "roles": ["viewer"]} | claims
    for name in drop:
        payload.pop(name)
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def assert_rejected(validator: TokenValidator, token: str | None, code: str, status: int = 401) -> AuthError:
    with pytest.raises(AuthError) as caught:
        await validator.validate(token)
    assert (caught.value.code, caught.value.status_code) == (code, status), caught.value.message
    return caught.value


async def test_validate_token_valid_returns_principal(make_validator, keys):
    principal = await make_validator().validate(make_token(keys["key-a"], roles=["reviewer", "Ailurus.Other"]))
    assert principal.subject == "object-id-1"  # oid: stable across apps, unlike the pairwise sub
    assert principal.name == "Ada Field"
    assert principal.roles == {Role.REVIEWER, Role.VIEWER}
    assert not principal.app_only


async def test_validate_token_keys_fetched_once_for_many_tokens(make_validator, keys, idp):
    validator = make_validator()
    for _ in range(5):
        await validator.validate(make_token(keys["key-a"]))
    assert idp.jwks_requests == 1


async def test_validate_token_expired_is_token_expired(make_validator, keys):
    token = make_token(keys["key-a"], iat=int(time.time()) - 7200, nbf=int(time.time()) - 7200,
                       exp=int(time.time()) - 120)
    await assert_rejected(make_validator(), token, "token_expired")


async def test_validate_token_expired_within_leeway_passes(make_validator, keys):
    token = make_token(keys["key-a"], exp=int(time.time()) - 20)
    assert (await make_validator(leeway_s=60).validate(token)).subject == "object-id-1"
    await assert_rejected(make_validator(leeway_s=0), token, "token_expired")


async def test_validate_token_not_yet_valid_is_rejected(make_validator, keys):
    validator = make_validator()
    await assert_rejected(validator, make_token(keys["key-a"], nbf=int(time.time()) + 600), "token_not_yet_valid")
    await assert_rejected(validator, make_token(keys["key-a"], iat=int(time.time()) + 600), "token_not_yet_valid")


async def test_validate_token_wrong_audience_is_invalid_audience(make_validator, keys):
    await assert_rejected(make_validator(), make_token(keys["key-a"], aud="api://someone-else"), "invalid_audience")


async def test_validate_token_wrong_issuer_is_invalid_issuer(make_validator, keys):
    token = make_token(keys["key-a"], iss="https://login.example.test/other-tenant/v2.0")
    await assert_rejected(make_validator(), token, "invalid_issuer")


@pytest.mark.parametrize("claim", ["exp", "iss", "aud"])
async def test_validate_token_missing_required_claim_is_invalid(make_validator, keys, claim):
    await assert_rejected(make_validator(), make_token(keys["key-a"], drop=(claim,)), "invalid_token")


async def test_validate_token_without_subject_is_invalid(make_validator, keys):
    await assert_rejected(make_validator(), make_token(keys["key-a"], drop=("sub", "oid")), "invalid_token")


async def test_validate_token_unknown_kid_is_unknown_signing_key(make_validator, keys):
    await assert_rejected(make_validator(), make_token(keys["key-b"], kid="key-b"), "unknown_signing_key")


async def test_validate_token_signed_by_other_key_with_known_kid_is_invalid(make_validator, keys):
    await assert_rejected(make_validator(), make_token(keys["key-b"], kid="key-a"), "invalid_token")


async def test_validate_token_rotated_key_picked_up_after_refresh_interval(make_validator, keys, idp):
    clock = FakeClock()
    validator = make_validator(refresh_interval_s=60, clock=clock)
    await validator.validate(make_token(keys["key-a"]))
    idp.keys = [jwk(keys["key-a"], "key-a"), jwk(keys["key-b"], "key-b")]  # the provider rotates
    rotated = make_token(keys["key-b"], kid="key-b")
    clock.now += 10
    await assert_rejected(validator, rotated, "unknown_signing_key")  # inside the rate limit: no fetch
    assert idp.jwks_requests == 1
    clock.now += 60
    assert (await validator.validate(rotated)).subject == "object-id-1"
    assert idp.jwks_requests == 2


async def test_validate_token_burst_of_unknown_kids_refreshes_at_most_once(make_validator, keys, idp):
    clock = FakeClock()
    validator = make_validator(refresh_interval_s=60, clock=clock)
    await validator.validate(make_token(keys["key-a"]))
    clock.now += 120
    tokens = [make_token(keys["key-b"], kid=uuid.uuid4().hex) for _ in range(25)]
    results = await asyncio.gather(*(validator.validate(t) for t in tokens), return_exceptions=True)
    assert {getattr(r, "code", None) for r in results} == {"unknown_signing_key"}
    assert idp.jwks_requests == 2  # the first load and one refresh for the whole burst


async def test_validate_token_tampered_payload_is_invalid(make_validator, keys):
    header, payload, signature = make_token(keys["key-a"]).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = b64(json.dumps({**claims, "roles": ["admin"]}).encode())
    await assert_rejected(make_validator(), f"{header}.{forged}.{signature}", "invalid_token")


async def test_validate_token_alg_none_is_invalid(make_validator, keys):
    claims = jwt.decode(make_token(keys["key-a"]), options={"verify_signature": False})
    unsigned = f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT', 'kid': 'key-a'}).encode())}." \
               f"{b64(json.dumps({**claims, 'roles': ['admin']}).encode())}."
    await assert_rejected(make_validator(), unsigned, "invalid_token")


async def test_validate_token_hs256_signed_with_public_key_is_invalid(make_validator, keys):
    public_pem = keys["key-a"].public_key().public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    claims = jwt.decode(make_token(keys["key-a"]), options={"verify_signature": False}) | {"roles": ["admin"]}
    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT', 'kid': 'key-a'}).encode())}." \
                    f"{b64(json.dumps(claims).encode())}"
    signature = b64(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())
    await assert_rejected(make_validator(), f"{signing_input}.{signature}", "invalid_token")


@pytest.mark.parametrize("token", [None, ""])
async def test_validate_token_missing_is_missing_token(make_validator, token):
    error = await assert_rejected(make_validator(), token, "missing_token")
    assert error.headers == {"WWW-Authenticate": 'Bearer realm="ailurus"'}


async def test_validate_token_garbage_is_invalid_with_bearer_challenge(make_validator):
    error = await assert_rejected(make_validator(), "not-a-jwt", "invalid_token")
    assert error.headers["WWW-Authenticate"] == 'Bearer realm="ailurus", error="invalid_token"'


async def test_validate_token_identity_provider_down_is_auth_unavailable(keys):
    validator = TokenValidator(issuer=ISSUER, audience=AUDIENCE, metadata_url=f"http://127.0.0.1:{free_port()}/meta",
                               timeout_s=2)
    try:
        with pytest.raises(AuthUnavailable) as caught:
            await validator.validate(make_token(keys["key-a"]))
        assert (caught.value.status_code, caught.value.code) == (503, "auth_unavailable")
    finally:
        await validator.close()


@pytest.mark.parametrize(("claims", "app_only"), [
    ({"scp": "access_as_user"}, False),
    ({"scp": None}, True),
    ({"scp": None, "idtyp": "app"}, True),
    ({"idtyp": "app"}, True),
])
async def test_validate_token_app_only_detected(make_validator, keys, claims, app_only):
    drop = tuple(k for k, v in claims.items() if v is None)
    extra = {k: v for k, v in claims.items() if v is not None}
    token = make_token(keys["key-a"], drop=("name", *drop), azp="partner-client-id", **extra)
    principal = await make_validator().validate(token)
    assert principal.app_only is app_only
    if app_only:
        assert principal.name == "partner-client-id"


def test_validate_token_static_jwks_needs_no_network(keys):
    validator = TokenValidator(issuer=ISSUER, audience=AUDIENCE, jwks={"keys": [jwk(keys["key-a"], "key-a")]})
    assert asyncio.run(validator.validate(make_token(keys["key-a"]))).subject == "object-id-1"


def test_validator_needs_exactly_one_key_source(keys):
    with pytest.raises(ValueError):
        TokenValidator(issuer=ISSUER, audience=AUDIENCE)
    with pytest.raises(ValueError):
        TokenValidator(issuer=ISSUER, audience=AUDIENCE, metadata_url="https://x/meta", jwks={"keys": []})


def test_parse_jwks_skips_encryption_short_and_foreign_keys(keys):
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    document = {"keys": [jwk(keys["key-a"], "good"), {**jwk(keys["key-b"], "enc"), "use": "enc"},
                         {**jwk(keys["key-b"], "rs384"), "alg": "RS384"}, jwk(short, "short"),
                         {"kty": "oct", "kid": "secret", "k": "c2VjcmV0"}, {"kty": "RSA", "kid": "broken"}]}
    assert set(parse_jwks(document)) == {"good"}


def test_role_implications_admin_has_all_reviewer_has_viewer():
    admin = Principal(subject="a", name="a", roles=frozenset({Role.ADMIN}))
    reviewer = Principal(subject="r", name="r", roles=frozenset({Role.REVIEWER}))
    assert all(admin.has(role) for role in Role)
    assert reviewer.has(Role.VIEWER) and reviewer.has(Role.REVIEWER)
    assert not reviewer.has(Role.UPLOADER) and not reviewer.has(Role.ADMIN)


async def test_require_role_missing_is_forbidden(make_validator, keys):
    principal = await make_validator().validate(make_token(keys["key-a"], roles=["uploader"]))
    assert principal.has(Role.UPLOADER) and principal.has(Role.VIEWER)
    assert not principal.has(Role.REVIEWER)
    error = Forbidden("this needs the reviewer role")
    assert (error.status_code, error.code) == (403, "forbidden")
    assert isinstance(MissingToken("x"), AuthError)


async def test_validate_token_passed_once_is_taken_from_cache_for_a_while(make_validator, keys, monkeypatch):
    now = [1000.0]
    validator = make_validator(clock=lambda: now[0])
    token = make_token(keys["key-a"])
    await validator.validate(token)
    checks = []
    original = validator._check
    monkeypatch.setattr(validator, "_check", lambda t: checks.append(t) or original(t))
    await validator.validate(token)
    assert checks == []  # no second signature check
    now[0] += 61  # VALID_CACHE_S later: checked again
    await validator.validate(token)
    assert checks == [token]


async def test_validate_token_cached_is_never_honoured_past_exp(make_validator, keys):
    now = [1000.0]
    validator = make_validator(clock=lambda: now[0], leeway_s=0)
    token = make_token(keys["key-a"], exp=int(time.time()) + 2)
    await validator.validate(token)
    now[0] += 3
    time.sleep(2.1)
    await assert_rejected(validator, token, "token_expired")
