"""Signed and encrypted mail as test material: S/MIME, PGP/MIME, legacy PEM.

``verify_message(raw) -> VerifyResult`` checks a message as received (the
per-kind ``Kind.verify`` hooks in ``harness.mail.kinds.secure`` wrap it).
Builders: ``smime`` (with ``envelope`` for seeded CMS EnvelopedData),
``pgpmime`` (with ``openpgp``, the seeded packet writer), ``pem``. Checkers:
``cms`` (SignedData verification with ``cryptography``), ``pgp`` (Sequoia),
``entity`` (byte-exact MIME splitting), ``der`` (ASN.1). ``testkeys`` holds
the TEST ONLY keys and certificates, derived from fixed names.
"""

from __future__ import annotations

from harness.mail.secure.verify import VerifyResult, problem_for, verify_message

__all__ = ["VerifyResult", "problem_for", "verify_message"]
