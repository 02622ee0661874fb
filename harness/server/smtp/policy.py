"""Who may send, and to whom: the envelope rules of the reference server.

Senders (MAIL FROM):

* A listener with ``auth_required`` (submission, smtps) refuses MAIL until the
  client has authenticated: RFC 6409 §4.3, "530 5.7.0" (RFC 4954 §6), or
  "530 5.7.0 Must issue a STARTTLS command first" while AUTH is not yet
  possible because the connection is not TLS (RFC 3207 §4).
* An authenticated session may use its own address or the null path, and
  nothing else. RFC 6409 §6.1 lets an MSA refuse "if the address in MAIL
  FROM ... is not authorized with the authentication used", with 550 5.7.1;
  §3.2 (4409 wording kept): "a null return path ... is permitted and MUST be
  accepted" (notifications, MDNs). The account's address is compared without
  regard to case, as logins are.
* Unauthenticated mail on the MX listener may come from anyone.

Recipients (RCPT TO), never an open relay (RFC 5321 §3.6.2, §7.9; RFC 2505):

* A source route is ignored, as §4.1.1.3 says servers "SHOULD" do, so
  ``<@hop:user@domain>`` is judged as ``<user@domain>`` and is never sent to
  the hop.
* A local domain: "postmaster" in any case (§4.5.1, also ``<Postmaster>``
  alone) is always accepted; a local part holding "%", "!" or "@" (the
  percent hack, bang paths, quoted addresses) is refused with 550 5.7.1 and
  never interpreted; an account is accepted; anything else is 550 5.1.1.
* Any other domain: relayed only for an authenticated session, and only to a
  domain the config routes (or a "*" route): 550 5.7.1 without
  authentication, 550 5.4.4 without a route.
"""

from __future__ import annotations

from harness.protocols.smtp import Address, MailFrom, RcptTo, Reply, reply
from harness.server.config import ListenerConfig
from harness.server.context import ServerContext
from harness.server.delivery import Recipient
from harness.server.smtp import replies as R

LOCAL_PART_ROUTING_CHARACTERS = frozenset("%!@")
DEFAULT_ROUTE = "*"


def mailbox(address: Address) -> str:
    """The mailbox as written on the wire (quoted local part where needed)."""
    return str(address)


def sender_refusal(
    ctx: ServerContext,
    listener: ListenerConfig,
    event: MailFrom,
    *,
    user: str | None,
    tls: bool,
) -> Reply | None:
    """Why MAIL FROM is refused, or None to accept it."""
    if user is None:
        if not listener.auth_required:
            return None
        return R.STARTTLS_FIRST if not ctx.auth.may_authenticate(tls=tls) else R.AUTH_REQUIRED
    address = event.reverse_path.address
    if address is None:
        return None
    if f"{address.local_part}@{address.domain}".lower() != user.lower():
        return R.SENDER_NOT_OWNED
    return None


def accept_recipient(ctx: ServerContext, event: RcptTo, *, user: str | None) -> Recipient | Reply:
    """The accepted recipient, or the reply refusing it."""
    address = event.forward_path.address
    assert address is not None, "the grammar has no null forward-path"
    params = event.params
    if not address.domain or ctx.is_local_domain(address.domain):
        account = local_account(ctx, address)
        if isinstance(account, Reply):
            return account
        return Recipient(mailbox(address), account, params.notify, params.orcpt)
    refusal = relay_refusal(ctx, address.domain, user=user)
    if refusal is not None:
        return refusal
    return Recipient(mailbox(address), None, params.notify, params.orcpt)


def local_account(ctx: ServerContext, address: Address) -> str | Reply:
    """The account a local-domain address reaches, or why it is refused."""
    if address.is_postmaster:
        return postmaster_account(ctx, address.domain)
    if LOCAL_PART_ROUTING_CHARACTERS.intersection(address.local_part):
        return R.LOCAL_PART_ROUTING
    account = ctx.auth.account_name(f"{address.local_part}@{address.domain}")
    return R.UNKNOWN_USER if account is None else account


def postmaster_account(ctx: ServerContext, domain: str) -> str | Reply:
    """RFC 5321 §4.5.1: every domain's postmaster MUST be accepted. It reaches the
    account "postmaster@domain" if there is one, else the domain's first
    configured account (the first account of all for ``<Postmaster>``)."""
    domain = (domain or _first_domain(ctx)).lower()
    own = ctx.auth.account_name(f"postmaster@{domain}")
    if own is not None:
        return own
    accounts = [a.user for a in ctx.config.accounts]
    in_domain = [user for user in accounts if user.rpartition("@")[2].lower() == domain]
    candidates = in_domain or accounts
    if not candidates:
        return R.NO_MAILBOX
    return ctx.auth.account_name(candidates[0]) or candidates[0]


def relay_refusal(ctx: ServerContext, domain: str, *, user: str | None) -> Reply | None:
    if user is None:
        return R.RELAY_DENIED
    if domain.lower() in ctx.config.routes or DEFAULT_ROUTE in ctx.config.routes:
        return None
    return reply(550, f"No route to {domain}", "5.4.4")


def verify(ctx: ServerContext, text: str) -> Reply:
    """VRFY (RFC 5321 §3.5.1): 250 for a local mailbox, 550 for an unknown local
    one, 252 for what this server cannot know (another domain). Never a 250
    for an address it has not verified (§3.5.3)."""
    text = text.strip().removeprefix("<").removesuffix(">")
    local, at, domain = text.rpartition("@")
    if not at:
        local, domain = text, _first_domain(ctx)
    if not ctx.is_local_domain(domain):
        return R.CANNOT_VRFY
    if local.lower() == "postmaster":
        return reply(250, f"<postmaster@{domain.lower()}>", "2.1.5")
    account = ctx.auth.account_name(f"{local}@{domain}")
    if account is None:
        return R.UNKNOWN_USER
    return reply(250, f"<{account}>", "2.1.5")


def _first_domain(ctx: ServerContext) -> str:
    """Where an address without a domain (``<Postmaster>``, ``VRFY bob``) belongs."""
    return ctx.config.domains[0] if ctx.config.domains else ctx.hostname
