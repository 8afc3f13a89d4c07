"""The error codes are one enum, and the docs list every one of them."""

import re
from pathlib import Path

from ailurus_common.errors import AilurusError, ErrorCode

DOC = Path(__file__).resolve().parents[3] / "docs" / "errors.md"


def test_every_error_code_is_documented_once():
    documented = re.findall(r"^\| `([a-z_]+)` \|", DOC.read_text(), flags=re.MULTILINE)
    assert sorted(documented) == sorted(c.value for c in ErrorCode)


def test_unknown_upstream_code_parses_as_upstream_error():
    assert ErrorCode.parse("trap_not_found") is ErrorCode.TRAP_NOT_FOUND
    assert ErrorCode.parse("made_up") is ErrorCode.UPSTREAM_ERROR


def test_every_error_class_carries_an_enum_code():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)
    import gateway.errors  # noqa: F401, E401 - load every service's errors
    for cls in subclasses(AilurusError):
        assert isinstance(cls.code, ErrorCode), cls
