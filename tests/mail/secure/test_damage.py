"""Each way a server can alter a signed part is caught, by our check and by the tools."""

from __future__ import annotations

import pytest

from harness.mail.corpus import CorpusMessage
from harness.mail.kinds.secure import VERIFIERS
from harness.mail.secure.entity import body_parts, split_entity
from harness.mail.secure.verify import verify_message
from tests.mail.secure import damage
from tests.mail.secure.conftest import of_kind
from tests.mail.secure.tools import OpenSSL, needs_openssl, run

SIGNED_KINDS = ("smime-signed", "smime-signed-8bit", "pgp-signed")


def _applicable(message: CorpusMessage, change: object) -> bool:
    # RFC 3156 §3: a PGP/MIME signed part has no trailing whitespace to strip.
    return not (message.kind == "pgp-signed" and change is damage.strip_trailing_whitespace)


@pytest.mark.parametrize("kind", SIGNED_KINDS)
@pytest.mark.parametrize("change", damage.SIGNED_PART_DAMAGE, ids=lambda c: c.__name__)
def test_damage_to_the_signed_part_fails_verification(
    secure_corpus: list[CorpusMessage], kind: str, change: damage.Damage
) -> None:
    for message in of_kind(secure_corpus, kind):
        if not _applicable(message, change):
            continue
        damaged = change(message.raw)
        assert damaged != message.raw, f"{change.__name__} changed nothing in {message.name}"
        result = verify_message(damaged)
        assert result.problem is not None and "does not verify" in result.problem, result
        check = VERIFIERS[kind]
        assert check is not None and check(damaged) is not None


def test_pgp_signed_parts_have_no_trailing_whitespace_to_strip(
    secure_corpus: list[CorpusMessage],
) -> None:
    for message in of_kind(secure_corpus, "pgp-signed"):
        assert damage.strip_trailing_whitespace(message.raw) == message.raw


@pytest.mark.parametrize("kind", SIGNED_KINDS)
def test_a_stripped_signature_is_reported(secure_corpus: list[CorpusMessage], kind: str) -> None:
    for message in of_kind(secure_corpus, kind):
        stripped = damage.strip_signature(message.raw)
        assert verify_message(stripped).problem == "no signed or encrypted part found"
        check = VERIFIERS[kind]
        assert check is not None and check(stripped) is not None


@needs_openssl
@pytest.mark.parametrize("change", damage.SIGNED_PART_DAMAGE[:-1], ids=lambda c: c.__name__)
def test_openssl_also_rejects_the_damaged_octets(
    secure_corpus: list[CorpusMessage], openssl: OpenSSL, change: damage.Damage
) -> None:
    """The same damage fails ``openssl cms -verify -binary`` on the exact signed octets."""
    message = of_kind(secure_corpus, "smime-signed")[0]
    parts = body_parts(split_entity(change(message.raw)))
    content = openssl.file(f"damaged-{change.__name__}", parts[0].raw)
    signature = openssl.file("damaged.p7s", parts[1].decoded_body())
    command = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(signature)]
    result = run(
        [*command, "-content", str(content), "-CAfile", str(openssl.ca), "-out", "/dev/null"]
    )
    assert result.returncode != 0
    assert b"Verification failure" in result.stderr
