"""What apim/ ships for Azure API Management: the OpenAPI document the gateway serves, and
policy files that are well-formed XML carrying the policies the partner API relies on."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ailurus_common.auth import Role
from ailurus_tools import apim

POLICIES = sorted((apim.ROOT / "apim" / "policies").glob("*.xml"))


def test_shipped_openapi_is_what_the_gateway_serves():
    assert apim.OPENAPI_FILE.read_text() == apim.render(apim.served_openapi()), "run `make apim`"


def test_apim_check_fails_on_a_stale_document(tmp_path, monkeypatch):
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n")
    monkeypatch.setattr(apim, "OPENAPI_FILE", stale)
    monkeypatch.setattr(apim, "ROOT", tmp_path)
    assert apim.main(["--check"]) == 1


def test_policy_folder_has_policies():
    assert POLICIES, "apim/policies/*.xml"


def _section(root: ET.Element, name: str) -> ET.Element:
    section = root.find(name)
    assert section is not None, f"<{name}> missing"
    assert section.find("base") is not None, f"<{name}> must keep <base /> (product and global policies)"
    return section


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_policy_file_is_well_formed_with_required_policies(path: Path):
    root = ET.parse(path).getroot()  # raises on XML that is not well formed
    assert root.tag == "policies"
    inbound = _section(root, "inbound")
    outbound = _section(root, "outbound")
    _section(root, "backend")
    _section(root, "on-error")
    steps = [child.tag for child in inbound]

    jwt = inbound.find("validate-jwt")
    assert jwt is not None and jwt.get("require-signed-tokens") == "true" and jwt.get("require-expiration-time") == "true"
    assert "login.microsoftonline.com" in jwt.find("openid-config").get("url")
    assert [a.text for a in jwt.find("audiences")] == ["{{ailurus-api-audience}}"]
    roles = jwt.find("required-claims/claim[@name='roles']")
    assert roles is not None and {v.text for v in roles} == {r.value for r in Role}

    for limit in ("rate-limit-by-key", "quota-by-key"):
        element = inbound.find(limit)
        assert element is not None, limit
        assert "partner-app-id" in element.get("counter-key")
        # Keyed only after the token is validated: the key is a checked claim, never a forged one.
        assert steps.index("validate-jwt") < steps.index(limit)
    app_id = next(v for v in inbound.findall("set-variable") if v.get("name") == "partner-app-id")
    assert '"azp"' in app_id.get("value") and '"appid"' in app_id.get("value")
    assert steps.index("validate-jwt") < steps.index("set-variable")
    assert inbound.find("rate-limit-by-key").get("retry-after-header-name") == "Retry-After"

    inbound_headers = {h.get("name"): h.get("exists-action") for h in inbound.findall("set-header")}
    assert inbound_headers["X-Request-ID"] == "skip" and inbound_headers["traceparent"] == "skip"
    assert inbound_headers["X-Forwarded-For"] == "delete"
    refusal = inbound.find("choose/when")
    assert "X-Ailurus-Internal" in refusal.get("condition") and refusal.find("return-response") is not None

    outbound_headers = {h.get("name"): h.get("exists-action") for h in outbound.findall("set-header")}
    for backend_header in ("Server", "X-Powered-By"):
        assert outbound_headers[backend_header] == "delete"
    assert outbound_headers["X-Request-ID"] == "override"
