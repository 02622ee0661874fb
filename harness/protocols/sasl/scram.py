"""SCRAM-SHA-256 (RFC 5802, RFC 7677), without channel binding.

RFC 5802 §7 (the parts used here):

    gs2-header      = gs2-cbind-flag "," [ authzid ] ","
    gs2-cbind-flag  = ("p=" cb-name) / "n" / "y"
    authzid         = "a=" saslname
    saslname        = 1*(value-safe-char / "=2C" / "=3D")
    client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
    client-first-message      = gs2-header client-first-message-bare
    server-first-message      = [reserved-mext ","] nonce "," salt "," iteration-count
                                ["," extensions]
    client-final-message-without-proof = channel-binding "," nonce ["," extensions]
    client-final-message      = client-final-message-without-proof "," proof
    server-final-message      = (server-error / verifier) ["," extensions]
    nonce   = "r=" c-nonce [s-nonce]      ; printable = %x21-2B / %x2D-7E
    channel-binding = "c=" base64         ; base64 of gs2-header [cbind-data]
    proof   = "p=" base64
    verifier = "v=" base64

Keys (§3): SaltedPassword = Hi(Normalize(password), salt, i); ClientKey =
HMAC(SaltedPassword, "Client Key"); StoredKey = H(ClientKey); ServerKey =
HMAC(SaltedPassword, "Server Key"); AuthMessage = client-first-message-bare ","
server-first-message "," client-final-message-without-proof; ClientProof =
ClientKey XOR HMAC(StoredKey, AuthMessage); ServerSignature = HMAC(ServerKey,
AuthMessage). The server checks H(ClientProof XOR ClientSignature) == StoredKey,
so it needs only the stored keys; the client checks ServerSignature, so a server
without the keys cannot pretend to have authenticated it.

Channel binding: this side sends "n" (no -PLUS offered) and accepts "n" or
"y" (§6: "y" is right when the server offers no -PLUS); "p=" is refused.
Unknown users get a stable fake salt (§9 advice) and fail at the proof, so the
exchange does not reveal which users exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from harness.protocols.sasl.base import ClientMechanism, ServerMechanism
from harness.protocols.sasl.credentials import (
    DEFAULT_ITERATIONS,
    SCRAM_HASH,
    ScramCredentials,
    derive_scram_credentials,
    salted_password,
    scram_keys,
)
from harness.protocols.sasl.framing import decode_payload
from harness.protocols.sasl.outcomes import (
    Challenge,
    Failure,
    FailureKind,
    MalformedMessage,
    Outcome,
    SaslClientError,
)
from harness.protocols.sasl.saslprep import normalize, utf8

_PRINTABLE = re.compile(r"[\x21-\x2b\x2d-\x7e]+")
_SASLNAME = re.compile(r"(?:[^\x00=,]|=2C|=3D)+")
_FAKE_SALT_KEY = secrets.token_bytes(32)  # per process: stable salts for unknown users
MAX_CLIENT_ITERATIONS = 1_000_000  # a hostile server must not stall the client


def escape_saslname(name: str) -> str:
    """RFC 5802 §5.1: "=" becomes "=3D" and "," becomes "=2C"."""
    return name.replace("=", "=3D").replace(",", "=2C")


def unescape_saslname(text: str) -> str:
    """Inverse of ``escape_saslname``; MalformedMessage on a stray "=" or NUL."""
    if not _SASLNAME.fullmatch(text):
        raise MalformedMessage(f"invalid saslname {text!r}")
    return text.replace("=2C", ",").replace("=3D", "=")


def _attribute(part: str, name: str) -> str:
    if not part.startswith(name + "="):
        raise MalformedMessage(f"expected attribute {name}=, got {part[:16]!r}")
    return part[len(name) + 1 :]


def _nonce(part: str) -> str:
    value = _attribute(part, "r")
    if not _PRINTABLE.fullmatch(value):
        raise MalformedMessage("nonce must be printable and hold no ','")
    return value


def _xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))


def _signature(key: bytes, auth_message: str) -> bytes:
    return hmac.digest(key, utf8(auth_message), SCRAM_HASH)


class ScramSHA256Server(ServerMechanism, mechanism="SCRAM-SHA-256"):
    """Server side: client-first -> server-first -> client-final -> server-final."""

    def _setup(self) -> None:
        self._gs2_header = ""
        self._first_bare = ""
        self._server_first = ""
        self._nonce = ""
        self._user = ""
        self._authzid: str | None = None
        self._secret: ScramCredentials | None = None
        self._awaiting_final = False

    def _start(self, initial_response: bytes | None) -> Outcome:
        if initial_response is None:
            return Challenge(b"")  # client-first comes next
        return self._client_first(initial_response)

    def _step(self, response: bytes | None) -> Outcome:
        if self._awaiting_final:
            return self._client_final(response or b"")
        return self._client_first(response or b"")

    def _client_first(self, message: bytes) -> Outcome:
        cbind, authz, bare = self._split_gs2(message.decode("utf-8"))
        if cbind.startswith("p="):
            return Failure(FailureKind.MALFORMED, "channel binding is not supported")
        if cbind not in ("n", "y"):
            raise MalformedMessage(f"bad gs2-cbind-flag {cbind!r}")
        self._authzid = unescape_saslname(_attribute(authz, "a")) if authz else None
        parts = bare.split(",")
        if parts[0].startswith("m="):
            return Failure(FailureKind.MALFORMED, "unsupported mandatory extension")
        if len(parts) < 2:
            raise MalformedMessage("client-first-message needs n= and r=")
        self._user = unescape_saslname(_attribute(parts[0], "n"))
        self._first_bare = bare
        self._nonce = _nonce(parts[1]) + self.context.nonce()
        return self._server_first_message()

    def _split_gs2(self, text: str) -> tuple[str, str, str]:
        pieces = text.split(",", 2)
        if len(pieces) != 3:
            raise MalformedMessage("client-first-message needs a gs2-header")
        self._gs2_header = f"{pieces[0]},{pieces[1]},"
        return pieces[0], pieces[1], pieces[2]

    def _server_first_message(self) -> Challenge:
        self._secret = self._scram_secret(self._user)
        salt = base64.b64encode(self._secret.salt).decode()
        self._server_first = f"r={self._nonce},s={salt},i={self._secret.iterations}"
        self._awaiting_final = True
        return Challenge(self._server_first.encode())

    def _scram_secret(self, user: str) -> ScramCredentials:
        fake_salt = hmac.digest(_FAKE_SALT_KEY, utf8(user), "sha256")[:16]
        credentials = self._lookup(user)
        if credentials is not None and credentials.scram_sha256 is not None:
            return credentials.scram_sha256
        if credentials is not None and credentials.password is not None:
            return derive_scram_credentials(credentials.password, salt=fake_salt)
        # Unknown user: random keys that no proof can match, behind a stable salt.
        junk = secrets.token_bytes(32)
        return ScramCredentials(fake_salt, DEFAULT_ITERATIONS, junk, junk)

    def _client_final(self, message: bytes) -> Outcome:
        text = message.decode("utf-8")
        without_proof, sep, proof_text = text.rpartition(",p=")
        parts = without_proof.split(",")
        if not sep or len(parts) < 2:
            raise MalformedMessage("client-final-message needs c=, r= and p=")
        binding = decode_payload(_attribute(parts[0], "c").encode())
        if binding != self._gs2_header.encode():
            return Failure(FailureKind.MALFORMED, "channel binding data does not match")
        if _nonce(parts[1]) != self._nonce:
            return Failure(FailureKind.MALFORMED, "nonce does not match")
        proof = decode_payload(proof_text.encode())
        return self._verify(proof, f"{self._first_bare},{self._server_first},{without_proof}")

    def _verify(self, proof: bytes, auth_message: str) -> Outcome:
        secret = self._secret
        assert secret is not None  # set by _server_first_message
        if len(proof) != hashlib.new(SCRAM_HASH).digest_size:
            raise MalformedMessage("client proof has the wrong length")
        client_key = _xor(proof, _signature(secret.stored_key, auth_message))
        stored = hashlib.new(SCRAM_HASH, client_key).digest()
        if not hmac.compare_digest(stored, secret.stored_key):
            return Failure(FailureKind.CREDENTIALS, f"invalid proof for {self._user!r}")
        verifier = base64.b64encode(_signature(secret.server_key, auth_message))
        return self._authenticated(self._user, self._authzid, b"v=" + verifier)


class ScramSHA256Client(ClientMechanism, mechanism="SCRAM-SHA-256"):
    """Client side; ``finish`` refuses success unless the server signature checked out."""

    has_initial_response = True

    def _setup(self) -> None:
        authz = f"a={escape_saslname(self.authzid)}" if self.authzid else ""
        self._gs2_header = f"n,{authz},"
        self._client_nonce = self.nonce()
        self._first_bare = f"n={escape_saslname(normalize(self.user))},r={self._client_nonce}"
        self._expected_verifier: bytes | None = None
        self.server_verified = False

    def _initial(self) -> bytes:
        return utf8(self._gs2_header + self._first_bare)

    def _answer(self, challenge: bytes) -> bytes:
        if self._expected_verifier is None:
            return self._client_final(challenge)
        if self.server_verified:
            raise SaslClientError("SCRAM: challenge after the server-final-message")
        self._check_server_final(challenge)
        return b""

    def finish(self, success_data: bytes | None = None) -> None:
        if success_data:
            self._check_server_final(success_data)
        if not self.server_verified:
            raise SaslClientError("SCRAM: the server never proved it knows the password")

    def _client_final(self, challenge: bytes) -> bytes:
        nonce, salt, iterations = self._parse_server_first(challenge)
        client_key, stored_key, server_key = scram_keys(
            salted_password(self.password, salt, iterations)
        )
        binding = base64.b64encode(self._gs2_header.encode()).decode()
        without_proof = f"c={binding},r={nonce}"
        auth_message = f"{self._first_bare},{challenge.decode()},{without_proof}"
        proof = _xor(client_key, _signature(stored_key, auth_message))
        self._expected_verifier = base64.b64encode(_signature(server_key, auth_message))
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def _parse_server_first(self, challenge: bytes) -> tuple[str, bytes, int]:
        try:
            parts = challenge.decode("utf-8").split(",")
            if parts[0].startswith("m="):
                raise SaslClientError("SCRAM: server demands an unsupported extension")
            nonce, salt, count = (
                _nonce(parts[0]),
                _attribute(parts[1], "s"),
                _attribute(parts[2], "i"),
            )
            iterations = int(count) if count.isascii() and count.isdigit() else 0
            salt_octets = decode_payload(salt.encode())
        except (ValueError, IndexError) as exc:
            raise SaslClientError(f"SCRAM: malformed server-first-message: {exc}") from None
        if not nonce.startswith(self._client_nonce) or nonce == self._client_nonce:
            raise SaslClientError("SCRAM: server nonce does not extend the client nonce")
        if not 1 <= iterations <= MAX_CLIENT_ITERATIONS:
            raise SaslClientError(f"SCRAM: iteration count {count!r} out of range")
        return nonce, salt_octets, iterations

    def _check_server_final(self, message: bytes) -> None:
        first = message.split(b",", 1)[0]
        if first.startswith(b"e="):
            raise SaslClientError(f"SCRAM: server error {first[2:]!r}")
        expected = self._expected_verifier
        if expected is None or not hmac.compare_digest(first, b"v=" + expected):
            raise SaslClientError("SCRAM: server signature does not verify")
        self.server_verified = True
