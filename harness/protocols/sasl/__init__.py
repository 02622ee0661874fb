"""SASL mechanisms shared by SMTP AUTH, POP3 AUTH and IMAP AUTHENTICATE.

Sans-IO step objects for both sides: PLAIN, LOGIN, CRAM-MD5 and SCRAM-SHA-256
(``ServerMechanism.create`` / ``ClientMechanism.create``), the outcomes they
return (``Challenge``/``Success``/``Failure``), the credentials a server checks
against (SCRAM verifiers need no plaintext; CRAM-MD5 does), base64 line
framing ("=" empty initial response, "*" cancel), SASLprep, and
``ServerExchange``, the phase object a protocol core runs an exchange in.
"""

from harness.protocols.sasl.base import (
    ClientMechanism,
    ServerContext,
    ServerMechanism,
    random_nonce,
)
from harness.protocols.sasl.cram_md5 import CramMD5Client, CramMD5Server, cram_md5_digest
from harness.protocols.sasl.credentials import (
    Authorizer,
    CredentialLookup,
    Credentials,
    ScramCredentials,
    derive_scram_credentials,
    same_identity_only,
)
from harness.protocols.sasl.exchange import ServerExchange
from harness.protocols.sasl.framing import (
    CANCEL,
    Base64Error,
    decode_initial_response,
    decode_payload,
    encode_initial_response,
    encode_payload,
    is_cancel,
)
from harness.protocols.sasl.outcomes import (
    Challenge,
    Failure,
    FailureKind,
    Outcome,
    SaslClientError,
    Success,
    UnknownMechanism,
)
from harness.protocols.sasl.plain import LoginClient, LoginServer, PlainClient, PlainServer
from harness.protocols.sasl.saslprep import SaslPrepError, saslprep
from harness.protocols.sasl.scram import ScramSHA256Client, ScramSHA256Server

__all__ = [
    "CANCEL",
    "Authorizer",
    "Base64Error",
    "Challenge",
    "ClientMechanism",
    "CramMD5Client",
    "CramMD5Server",
    "CredentialLookup",
    "Credentials",
    "Failure",
    "FailureKind",
    "LoginClient",
    "LoginServer",
    "Outcome",
    "PlainClient",
    "PlainServer",
    "SaslClientError",
    "SaslPrepError",
    "ScramCredentials",
    "ScramSHA256Client",
    "ScramSHA256Server",
    "ServerContext",
    "ServerExchange",
    "ServerMechanism",
    "Success",
    "UnknownMechanism",
    "cram_md5_digest",
    "decode_initial_response",
    "decode_payload",
    "derive_scram_credentials",
    "encode_initial_response",
    "encode_payload",
    "is_cancel",
    "random_nonce",
    "same_identity_only",
    "saslprep",
]
