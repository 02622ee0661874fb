"""Which handler answers which command, grouped by the state RFC 9051 §6 lists
it under. The core has already checked that the command is valid in the
current state (its state table), so a handler never has to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from harness.protocols import imap
from harness.server.imap import any_state, not_authenticated
from harness.server.imap.authenticated import append, idle, listing, mailboxes, select, status
from harness.server.imap.base import Done, Session
from harness.server.imap.selected import copy, expunge, fetch, search, store

Handler = Callable[[Session, Any], Awaitable[Done | None]]

HANDLERS: dict[type[imap.Command], Handler] = {
    # RFC 9051 §6.1: any state
    imap.Capability: any_state.capability,
    imap.Noop: any_state.noop,
    imap.Logout: any_state.logout,
    imap.Id: any_state.identify,
    # §6.2: not authenticated
    imap.StartTLS: not_authenticated.starttls,
    imap.Login: not_authenticated.login,
    imap.Authenticate: not_authenticated.authenticate,
    # §6.3: authenticated
    imap.Enable: mailboxes.enable,
    imap.Select: select.select,
    imap.Examine: select.select,
    imap.Create: mailboxes.create,
    imap.Delete: mailboxes.delete,
    imap.Rename: mailboxes.rename,
    imap.Subscribe: mailboxes.subscribe,
    imap.Unsubscribe: mailboxes.subscribe,
    imap.List: listing.list_mailboxes,
    imap.Lsub: listing.lsub,
    imap.Namespace: mailboxes.namespace,
    imap.Status: status.status,
    imap.Append: append.append,
    imap.Idle: idle.idle,
    # §6.4: selected
    imap.Check: any_state.noop,
    imap.Close: expunge.close,
    imap.Unselect: expunge.unselect,
    imap.Expunge: expunge.expunge,
    imap.Search: search.search,
    imap.Fetch: fetch.fetch,
    imap.Store: store.store,
    imap.Copy: copy.copy,
    imap.Move: copy.copy,
}
