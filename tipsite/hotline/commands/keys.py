"""Keys and token (docs/hotline.md, "Once: keys and token", "Keys over time", "Unlocking
once"): ``keygen``, ``keys``, ``passwd``, ``fingerprint``, ``token`` and ``lock``."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import click

from tipsite.core import keys
from tipsite.hotline import agent as key_agent
from tipsite.hotline import ui
from tipsite.hotline.commands.options import store_option
from tipsite.hotline.config import (
    ENV_NEW_PASSPHRASE,
    ENV_PASSPHRASE,
    kdf_cost,
    passphrase_from_environment,
)
from tipsite.hotline.keyring import entry_for, replace_text
from tipsite.hotline.keyring import find as find_key
from tipsite.hotline.problem import Problem
from tipsite.hotline.source import open_store

# Words a centre's passphrase must not lean on.
OWN_WORDS = ["tipsite", "hotline", "menneskehandel", "cmm"]


def refuse_weak(passphrase: str) -> None:
    """Stop with a reason and a suggestion if ``passphrase`` is too weak for a centre key."""
    from tipsite.hotline.passphrase import judge  # zxcvbn loads its word lists: only when needed

    weakness = judge(passphrase, OWN_WORDS)
    if weakness is not None:
        raise Problem(weakness.reason, weakness.suggestion)


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write DIR/centre.pub and DIR/centre.key here instead of the keyring.")
@store_option
def keygen(out: Path | None, store: Path | None) -> None:
    """Make a new key pair for the centre.

    Without --out the private key goes into the store's keyring (old keys stay, so
    old tips stay readable). The passphrase is asked twice, or taken from
    HOTLINE_PASSPHRASE. Put the public key (centre.pub) on the server.
    """
    cost = kdf_cost()
    if out is not None:
        public_path, private_path = out / "centre.pub", out / "centre.key"
        for path in (public_path, private_path):
            if path.exists():
                raise Problem(f"{path} already exists; refusing to overwrite a key",
                              "choose another --out folder")
    passphrase = ui.ask_new_passphrase(ENV_PASSPHRASE, "Passphrase for the new key")
    refuse_weak(passphrase)
    pair = keys.generate()
    private_text = keys.private_key_text(pair, passphrase, cost)
    if out is not None:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        keys.write_new_file(private_path, private_text, 0o600)  # private key: owner only
        keys.write_new_file(public_path, keys.public_key_text(pair.public), 0o644)
    else:
        local = open_store(store)
        local.create()  # the store's folders first, each 0700 (not made on the way to keys/)
        private_path = local.keyring.add_text(pair.public, private_text)
        public_path = private_path.with_suffix(".pub")
    click.echo(f"Fingerprint: {pair.fingerprint}")
    click.echo(f"Private key: {private_path} (keep it here, never on the server)")
    click.echo(f"Public key:  {public_path} (copy it to the server as /etc/tipsite/centre.pub)")


@click.command(name="keys")
@click.option("--add", "add_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="First copy this private key file into the keyring.")
@store_option
def list_keys(add_file: Path | None, store: Path | None) -> None:
    """List the keys in the store's keyring, with their fingerprints."""
    local = open_store(store)
    ring = local.keyring
    if add_file is not None:
        local.create()  # each folder 0700, the store too
        click.echo(f"Added {ring.add_file(add_file)}")
    entries = ring.entries()
    if not entries:
        raise Problem(f"the keyring in {ring.folder} holds no key",
                      "make one with 'hotline keygen' or add one with 'hotline keys --add FILE'")
    for number, entry in enumerate(entries, start=1):
        newest = "  (newest)" if number == len(entries) else ""
        click.echo(f"{entry.key_id.hex()}  {entry.fingerprint}  {entry.path}{newest}")


@click.command()
@click.argument("key_name", required=False)
@click.option("--key", "key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Change this key file instead of one in the keyring.")
@store_option
def passwd(key_name: str | None, key_file: Path | None, store: Path | None) -> None:
    """Change the passphrase of a key (the key itself stays the same).

    KEY_NAME is the start of a key id or fingerprint from 'hotline keys' (not needed
    when the keyring holds one key). The current passphrase comes from
    HOTLINE_PASSPHRASE or a prompt, the new one from HOTLINE_NEW_PASSPHRASE or a
    prompt asked twice.
    """
    if key_file is not None:
        entry = entry_for(key_file)
    else:
        entries = open_store(store).keyring.entries()
        if key_name is None and len(entries) != 1:
            raise Problem(f"the keyring holds {len(entries)} keys; say which one",
                          "give the start of its key id, as 'hotline keys' shows it")
        entry = find_key(entries, key_name) if key_name else entries[0]
    current = passphrase_from_environment() or ui.ask_secret(
        f"Current passphrase for key {entry.fingerprint}")
    pair = keys.load_private_key(entry.path, current)
    new = ui.ask_new_passphrase(ENV_NEW_PASSPHRASE, "New passphrase")
    refuse_weak(new)
    replace_text(entry.path, keys.private_key_text(pair, new, kdf_cost()))
    click.echo(f"Passphrase changed for key {pair.fingerprint} ({entry.path}).")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def fingerprint(file: Path) -> None:
    """Print the fingerprint of a public or private key file, to compare by phone."""
    kind = "private" if keys.is_private_key_file(file) else "public"
    click.echo(f"{keys.read_fingerprint(file)}  ({kind} key, {file})")


@click.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Write the new staff token to this file (0600).")
def token(out: Path) -> None:
    """Make a staff API token; print the hash the site's operator configures."""
    value = secrets.token_urlsafe(32)  # 256 bits: cannot be guessed through the rate limit
    keys.write_new_file(out, value + "\n", 0o600)
    digest = hashlib.sha256(value.encode()).hexdigest()
    click.echo(f"Token written to {out}. Give the site's operator this line:")
    click.echo(f"TIPSITE_STAFF_TOKEN_SHA256={digest}")


@click.command()
def lock() -> None:
    """Make the key agent forget every unlocked key now (and stop it).

    The next command that opens tips asks for the passphrase again. The agent also
    forgets by itself after HOTLINE_AGENT_IDLE without use (default 30 minutes).
    """
    if key_agent.Agent().lock():
        click.echo("Locked: the agent forgot your keys.")
    else:
        click.echo("No agent was running; no key is unlocked.")


COMMANDS = [keygen, list_keys, passwd, fingerprint, token, lock]
