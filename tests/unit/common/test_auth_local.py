"""Local sign-in: signing key file, issued tokens, users file and password hashes."""

import json
import stat

import pytest

from ailurus_common.auth import LOCAL_ISSUER, LocalIssuer, LocalUsers, Role
from ailurus_common.auth.errors import AuthError
from ailurus_common.auth.local import LocalUsersError, hash_password, verify_password


@pytest.fixture
def key_path(tmp_path):
    return tmp_path / "auth" / "local-signing-key.pem"


def test_issue_key_file_created_private_and_reused(key_path):
    first = LocalIssuer.from_key_file(key_path)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert LocalIssuer.from_key_file(key_path).kid == first.kid  # same key on the next start
    assert first.jwks()["keys"][0]["kid"] == first.kid


async def test_issue_token_validated_by_shared_validator(key_path):
    issuer = LocalIssuer.from_key_file(key_path, audience="api://ailurus")
    principal = await issuer.validator().validate(issuer.issue("ada", [Role.UPLOADER], name="Ada"))
    assert (principal.subject, principal.name, principal.app_only) == ("ada", "Ada", False)
    assert principal.roles == {Role.UPLOADER, Role.VIEWER}
    assert (await issuer.validator().validate(issuer.issue("partner", [Role.VIEWER], app_only=True))).app_only


async def test_issue_token_of_other_local_key_is_unknown_signing_key(tmp_path):
    ours = LocalIssuer.from_key_file(tmp_path / "ours.pem")
    theirs = LocalIssuer.from_key_file(tmp_path / "theirs.pem")
    with pytest.raises(AuthError) as caught:
        await ours.validator().validate(theirs.issue("mallory", [Role.ADMIN]))
    assert caught.value.code == "unknown_signing_key"


async def test_issue_token_for_other_audience_is_invalid_audience(key_path):
    issuer = LocalIssuer.from_key_file(key_path, audience="api://ailurus")
    other = LocalIssuer.from_key_file(key_path, audience="api://elsewhere")
    with pytest.raises(AuthError) as caught:
        await issuer.validator().validate(other.issue("ada", [Role.ADMIN]))
    assert caught.value.code == "invalid_audience"
    assert issuer.validator().issuer == LOCAL_ISSUER


def test_verify_password_right_wrong_and_malformed():
    encoded = hash_password("correct horse")
    assert encoded.startswith("scrypt$")
    assert verify_password("correct horse", encoded)
    assert not verify_password("correct horsE", encoded)
    assert not verify_password("correct horse", "plain-text")
    assert not verify_password("correct horse", "scrypt$99999999999$8$1$c2FsdA$aGFzaA")  # absurd cost refused
    assert hash_password("same") != hash_password("same")  # salted


def test_ensure_users_creates_one_user_per_role_with_private_passwords(tmp_path):
    users = LocalUsers(tmp_path / "auth" / "users.json")
    passwords_file = users.ensure()
    assert passwords_file is not None and stat.S_IMODE(passwords_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600
    passwords = dict(line.split() for line in passwords_file.read_text().splitlines() if not line.startswith("#"))
    assert set(passwords) == {"admin", "reviewer", "uploader", "viewer"}
    stored = json.loads(users.path.read_text())["users"]
    assert all(passwords[name] not in json.dumps(entry) for name, entry in stored.items())  # only hashes
    admin = users.authenticate("admin", passwords["admin"])
    assert admin is not None and admin.roles == frozenset(Role)
    assert users.authenticate("viewer", passwords["viewer"]).roles == {Role.VIEWER}
    assert users.ensure() is None  # never recreated, never overwritten


def test_authenticate_wrong_password_or_unknown_user_is_none(tmp_path):
    users = LocalUsers(tmp_path / "users.json")
    users.ensure()
    assert users.authenticate("admin", "wrong") is None
    assert users.authenticate("nobody", "wrong") is None


def test_authenticate_broken_users_file_raises(tmp_path):
    path = tmp_path / "users.json"
    path.write_text("{not json")
    with pytest.raises(LocalUsersError):
        LocalUsers(path).authenticate("admin", "x")
