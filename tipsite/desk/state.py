"""What one running desk holds: its configuration, store, accounts and open sessions."""

from __future__ import annotations

from typing import cast

from flask import current_app

from tipsite.desk.config import DeskConfig
from tipsite.desk.intake import Puller
from tipsite.desk.opened import Library
from tipsite.desk.sessions import Sessions
from tipsite.desk.throttle import Throttle
from tipsite.hotline.accounts import Accounts
from tipsite.hotline.store import Store


class Desk:
    """What one desk process holds: its configuration, store, accounts and sessions."""

    def __init__(self, config: DeskConfig) -> None:
        self.config = config
        self.store = Store(config.store)
        self.accounts = Accounts(config.store, config.kdf_cost)
        self.sessions = Sessions(config.idle_minutes * 60)
        self.throttle = Throttle()
        self.library = Library(self.store)
        self.puller = Puller(self.store, config.pull_minutes)

    def forget_if_nobody(self) -> None:
        """Drop the opened tips from memory once nobody is logged in."""
        if not self.sessions.names():
            self.library.forget()


def running() -> Desk:
    """The desk of the current request."""
    return cast(Desk, current_app.extensions["desk"])
