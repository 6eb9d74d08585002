"""Staff accounts of the desk (docs/desk.md, "Accounts"): ``user add``, ``remove``, ``list``."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from tipsite.hotline import trail, ui
from tipsite.hotline.accounts import Accounts
from tipsite.hotline.commands.options import store_option
from tipsite.hotline.config import ENV_NEW_PASSPHRASE, kdf_cost
from tipsite.hotline.problem import Problem
from tipsite.hotline.source import open_store
from tipsite.hotline.unlock import key_entries, unlock

NAME = click.argument("name")


def actor() -> str:
    """Who acts at the command line, for the audit trail: the login name of this machine."""
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return "(command line)"


@click.group()
def user() -> None:
    """Staff accounts for the desk (hotline desk): add, remove, list."""


@user.command(name="add")
@NAME
@click.option("--admin", is_flag=True, help="May add and remove accounts and see the audit trail.")
@store_option
def add(name: str, admin: bool, store: Path | None) -> None:
    """Give NAME an account with a passphrase of their own.

    The centre key's passphrase opens the centre's keys once, here, to give the new
    account its copy (asked, or HOTLINE_PASSPHRASE); the new account's passphrase is
    asked twice (or HOTLINE_NEW_PASSPHRASE). The first account must be an admin.
    """
    local = open_store(store)
    accounts = Accounts(local.path, kdf_cost())
    if not admin and accounts.count_admins() == 0:
        raise Problem("the first account must be an admin",
                      f"hotline user add {name} --admin")
    entries = key_entries(local, [])
    if not entries:
        raise Problem("there is no centre key in the store to give the account",
                      "make one with 'hotline keygen', or add one with 'hotline keys --add FILE'")
    centre = unlock(entries, {entry.key_id for entry in entries}, ask=ui.ask_secret,
                    tell=ui.tell)
    passphrase = ui.ask_new_passphrase(ENV_NEW_PASSPHRASE, f"Passphrase for {name}")
    made = accounts.add(name, passphrase, admin, centre)
    trail.record(local.path, actor(), "user-add", made.name, "admin" if admin else "")
    ui.tell(f"{made.name} can now log in to the desk{' as an admin' if admin else ''}.")


@user.command(name="remove")
@NAME
@store_option
def remove(name: str, store: Path | None) -> None:
    """Remove NAME's account and its copy of the centre's keys (logged out at once)."""
    local = open_store(store)
    accounts = Accounts(local.path, kdf_cost())
    listed = {a.name.casefold(): a for a in accounts.list()}
    target = listed.get(name.strip().casefold())
    if target and target.admin and accounts.count_admins() == 1 and len(listed) > 1:
        raise Problem(f"{target.name} is the last admin; nobody could manage accounts after",
                      "make another admin first (hotline user add NAME --admin)")
    accounts.remove(name)
    trail.record(local.path, actor(), "user-remove", target.name if target else name)
    ui.tell(f"{target.name if target else name}'s account is removed.")


@user.command(name="list")
@store_option
def list_users(store: Path | None) -> None:
    """List the desk's accounts."""
    local = open_store(store)
    accounts = Accounts(local.path, kdf_cost()).list()
    if not accounts:
        ui.tell("No accounts yet: hotline user add NAME --admin")
        return
    for account in accounts:
        role = "admin" if account.admin else "staff"
        click.echo(f"{account.name:<24} {role:<6} since {account.created_at[:10]}")


COMMANDS = [user]
