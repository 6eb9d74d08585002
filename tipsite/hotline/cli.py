"""``hotline``: the hotline staff's tool for keys and tips (click; never Flask).

Tips reach the staff still sealed, either pulled from the site's staff API into a
local store or read from a copied inbox folder; they are opened in memory with a
passphrase-locked private key, shown, triaged and exported. See docs/hotline.md.

Every failure is one ``error:`` line (plus a ``hint:``), exit status non-zero,
never a traceback; no text from a tip reaches the terminal unescaped.
"""

from __future__ import annotations

import gc
import hashlib
import os
import secrets
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from tipsite.core import keys, payload
from tipsite.core.durable import replace_durably
from tipsite.core.envelope import envelope_key_id, key_ids, seal
from tipsite.core.errors import EnvelopeError, PullError, TipsiteError, WrongPassphrase
from tipsite.core.inbox import Inbox
from tipsite.core.vocabulary import SETTING_IDS
from tipsite.hotline import agent as key_agent
from tipsite.hotline import editor, exports, prompt, reader, screen, shortid
from tipsite.hotline.conversation import Conversation, find, gather
from tipsite.hotline.keyring import KeyEntry, entry_for, replace_text
from tipsite.hotline.keyring import find as find_key
from tipsite.hotline.private import check_private
from tipsite.hotline.store import STATUSES, Store, TipState
from tipsite.hotline.terminal import safe

if TYPE_CHECKING:
    # pull and outbox (urllib, http.client, email) are imported by the commands that
    # talk to the site: list, show and export start measurably faster without them.
    from tipsite.hotline.pull import StaffClient

# Names of environment variables, not secrets:
ENV_PASSPHRASE = "HOTLINE_PASSPHRASE"  # noqa: S105
ENV_NEW_PASSPHRASE = "HOTLINE_NEW_PASSPHRASE"  # noqa: S105
ENV_TOKEN = "HOTLINE_TOKEN"  # noqa: S105 - the name of a variable, not a token
ENV_STORE = "HOTLINE_STORE"
ENV_KDF_COST = "HOTLINE_KDF_COST"
LANGS = ("da", "en")
EXIT_KEY_MISMATCH = 3  # pull refused: the site's key is not ours (scripts may alert on it)


class Problem(click.ClickException):
    """A failure shown as ``error:`` and ``hint:`` lines."""

    def __init__(self, message: str, hint: str = "", exit_code: int = 1) -> None:
        super().__init__(message)
        self.hint = hint
        self.status = exit_code

    def show(self, file: Any = None) -> None:
        report(self.message, self.hint)


def report(message: str, hint: str = "") -> None:
    """Print an ``error:`` line (and a ``hint:``) on standard error."""
    click.echo(f"error: {safe(message, multiline=False)}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)


# --- where things are --------------------------------------------------------


def default_store() -> Path:
    """The store in the user's data folder.

    platformdirs gives the place each system expects (~/.local/share on Linux,
    ~/Library/Application Support on macOS, %LOCALAPPDATA% on Windows): staff
    laptops are not all Linux.
    """
    import platformdirs

    return Path(platformdirs.user_data_dir("tipsite-hotline", appauthor=False))


def open_store(path: Path | None) -> Store:
    """The store at ``path`` (or the default), refused if other users can read it."""
    store = Store(path or default_store())
    store.check_private()
    return store


def kdf_cost() -> str:
    """The Argon2id cost for new key files, from HOTLINE_KDF_COST (default moderate)."""
    cost = os.environ.get(ENV_KDF_COST, "").strip() or keys.DEFAULT_KDF_COST
    if cost not in keys.KDF_COSTS:
        raise Problem(f"{ENV_KDF_COST}={cost!r} is not a cost level",
                      f"use one of: {', '.join(keys.KDF_COSTS)}")
    return cost


# --- passphrases and keys ----------------------------------------------------


def ask_secret(question: str, confirm: bool = False) -> str:
    """Ask for a passphrase without echo at the terminal (even when stdin is a pipe)."""
    try:
        for _ in range(3):
            passphrase = prompt.ask_secret(question)
            if not confirm or prompt.ask_secret("Repeat it") == passphrase:
                return passphrase
            click.echo("The two did not match; once more.", err=True)
    except prompt.NoTerminal:
        # Never read a secret from the pipe: it would hang scripts or eat their input.
        raise Problem("no passphrase given (there is no terminal to ask on)",
                      f"set {ENV_PASSPHRASE} (and {ENV_NEW_PASSPHRASE} for a new one) "
                      "for scripts") from None
    raise Problem("the passphrases did not match")


def ask_new_passphrase(env_name: str, prompt: str) -> str:
    """A new passphrase from ``env_name`` or asked twice; never empty."""
    passphrase = os.environ.get(env_name, "")
    if not passphrase:
        passphrase = ask_secret(prompt, confirm=True)
    if not passphrase.strip():
        raise Problem("the passphrase is empty", "choose a long passphrase of several words")
    return passphrase


def refuse_weak(passphrase: str) -> None:
    """Stop with a reason and a suggestion if ``passphrase`` is too weak for a centre key."""
    from tipsite.hotline.passphrase import judge  # zxcvbn loads its word lists: only when needed

    weakness = judge(passphrase, ["tipsite", "hotline", "menneskehandel", "cmm"])
    if weakness is not None:
        raise Problem(weakness.reason, weakness.suggestion)


def key_entries(store: Store | None, key_files: Sequence[Path]) -> list[KeyEntry]:
    """Keys given with ``--key`` first, then the store's keyring (one entry per key)."""
    entries = [entry_for(path) for path in key_files]
    if store is not None:
        entries += store.keyring.entries()
    unique: dict[bytes, KeyEntry] = {}
    for entry in entries:
        unique.setdefault(entry.key_id, entry)
    return list(unique.values())


def key_agent_for_session() -> key_agent.Agent | None:
    """The key agent, unless the passphrase comes from the environment or it is off."""
    if os.environ.get(ENV_PASSPHRASE, "") or not key_agent.enabled():
        return None  # scripts give the passphrase each time; nothing to remember
    key_agent.idle_seconds()  # a mistyped HOTLINE_AGENT_IDLE fails before any prompt
    return key_agent.Agent()


def unlock(entries: Sequence[KeyEntry], wanted: set[bytes], known: list[str] | None = None,
           agent: key_agent.Agent | None = None) -> list[keys.KeyPair]:
    """Unlock the keys in ``entries`` whose ids are in ``wanted``.

    Keys the ``agent`` holds are taken from it; keys unlocked here are given to it.
    A passphrase that opened one key is tried on the next (most centres use one);
    HOTLINE_PASSPHRASE is the only one tried when it is set. ``known`` carries the
    passphrases that worked over several calls, and learns new ones.
    """
    from_env = os.environ.get(ENV_PASSPHRASE, "")
    if known is None:
        known = []
    if from_env and from_env not in known:
        known.append(from_env)
    pairs = agent.get(wanted) if agent is not None else []
    wanted = wanted - {pair.key_id for pair in pairs}
    fresh = []
    for entry in entries:
        if entry.key_id not in wanted:
            continue  # an old key no tip here needs: do not pay its Argon2id cost
        pair = _try_passphrases(entry, known)
        if pair is None and from_env:
            raise WrongPassphrase(f"wrong passphrase for {entry.path}")
        tries = 0
        while pair is None:
            tries += 1
            passphrase = ask_secret(f"Passphrase for key {entry.fingerprint}")
            pair = _try_passphrases(entry, [passphrase])
            if pair is not None:
                known.append(passphrase)
            elif tries == 3:
                raise WrongPassphrase(f"wrong passphrase for {entry.path}")
            else:
                click.echo("That passphrase does not open this key; try again.", err=True)
        pairs.append(pair)
        fresh.append(pair)
    if agent is not None and fresh and not agent.add(fresh):
        click.echo("note: the key agent did not start; the next command asks again.", err=True)
    return pairs


def _try_passphrases(entry: KeyEntry, passphrases: Iterable[str]) -> keys.KeyPair | None:
    for passphrase in passphrases:
        try:
            return keys.load_private_key(entry.path, passphrase)
        except WrongPassphrase:
            continue
    return None


# --- where tips come from ----------------------------------------------------


class KeyUnlocker:
    """The keys a command has unlocked so far; more are unlocked as envelopes need them.

    Each key is unlocked once, and a passphrase that worked is tried first on the next
    key, however many times envelopes ask (see :func:`unlock`).
    """

    def __init__(self, source: Source) -> None:
        self.source = source
        self.pairs: list[keys.KeyPair] = []
        self._known: list[str] = []
        self._entries: list[KeyEntry] | None = None
        self._agent = key_agent_for_session()

    def need(self, sealed: Iterable[bytes]) -> list[keys.KeyPair]:
        """Unlock whatever keys ``sealed`` need that are not unlocked yet; all pairs so far."""
        wanted = key_ids(sealed) - {pair.key_id for pair in self.pairs}
        if not wanted:
            return self.pairs
        if self._entries is None:
            self._entries = self.source.entries()
        if not self._entries:
            raise Problem("there is no private key to open tips with",
                          "give --key FILE, or make a key with 'hotline keygen'")
        self.pairs += unlock(self._entries, wanted, self._known, self._agent)
        return self.pairs


@dataclass
class Source:
    """The tips a command works on: the local store, or a copied inbox folder."""

    store: Store | None
    inbox: Inbox | None
    key_files: Sequence[Path] = field(default_factory=tuple)
    # One per command, so a key is unlocked (and its passphrase asked for) once.
    _unlocker: KeyUnlocker | None = field(default=None, init=False, repr=False)

    def names(self) -> list[str]:
        return self.inbox.names() if self.inbox else self._store.names()

    def read(self, name: str) -> bytes:
        return self.inbox.read(name) if self.inbox else self._store.read(name)

    def states(self) -> dict[str, TipState]:
        return {} if self.inbox else self._store.states()

    @property
    def _store(self) -> Store:
        if self.store is None:
            raise Problem("this needs the local store")
        return self.store

    def entries(self) -> list[KeyEntry]:
        return key_entries(self.store, self.key_files)

    def resolve(self, prefix: str) -> str:
        return shortid.resolve(prefix, self.names())

    @property
    def unlocker(self) -> KeyUnlocker:
        if self._unlocker is None:
            self._unlocker = KeyUnlocker(self)
        return self._unlocker

    def pairs(self, sealed: Iterable[bytes]) -> list[keys.KeyPair]:
        """The unlocked keys these envelopes need (asked for once each)."""
        return self.unlocker.need(sealed)

    def open(self, names: Sequence[str]) -> tuple[list[reader.Opened], list[reader.Unreadable]]:
        """Open the tips ``names`` in memory; broken envelopes come back as Unreadable."""
        return self._read_tips(names, self._unseal(names, []))

    def _read_chunk(self, names: Sequence[str]) -> list[bytes]:
        if self.inbox:
            return [self.inbox.read(name) for name in names]
        return self._store.read_many(names)

    def _unseal(self, names: Sequence[str], extra: Sequence[bytes]
                ) -> list[bytes | reader.Unreadable]:
        """Read and decrypt the envelopes ``names``; unlock the keys they and ``extra`` need.

        A thread reads the files while this one unlocks the first envelope's key:
        Argon2id runs without the GIL, so on two cores the unlock and the reading
        overlap. Each chunk goes to the decrypting threads as soon as it is read and
        its keys are unlocked, so the last reads overlap the first decryptions. One
        reading thread, not more: a second only takes turns with the first for the
        GIL (measured: no faster, more CPU).
        """
        chunks: list[list[bytes | reader.Unreadable]] = []
        with reader.envelope_pool(len(names), workers=1) as reading, \
                reader.envelope_pool(len(names)) as decrypting:
            read = reader.chunked_map(reading, self._read_chunk, names)  # the thread starts
            self.pairs([*self._read_chunk(names[:1]), *extra])  # one file read twice
            futures = []  # with a pool, chunks come from these, in order
            start = 0
            for data in read:
                pairs = list(self.pairs(data))  # keys later envelopes need, if any
                chunk, start = names[start:start + len(data)], start + len(data)
                if decrypting is None:
                    chunks.append(reader.unseal_chunk(chunk, data, pairs))
                else:
                    futures.append(decrypting.submit(reader.unseal_chunk, chunk, data, pairs))
            chunks += [future.result() for future in futures]
        return [plaintext for chunk in chunks for plaintext in chunk]

    def _read_tips(self, names: Sequence[str], plaintexts: Sequence[bytes | reader.Unreadable]
                   ) -> tuple[list[reader.Opened], list[reader.Unreadable]]:
        # In the store a tip nobody has touched yet is new; an inbox copy has no status.
        untouched = TipState() if self.inbox is None else None  # one for all: only read
        opened, unreadable = [], []
        for item in reader.read_tips(names, plaintexts, self.unlocker.pairs, self.states(),
                                     untouched):
            if isinstance(item, reader.Unreadable):
                unreadable.append(item)
            else:
                opened.append(item)
        return opened, unreadable

    def conversations(self) -> tuple[list[Conversation], list[reader.Unreadable]]:
        """Every tip with its follow-ups and the staff's replies, opened in memory."""
        names = self.names()
        stored = [] if self.inbox else self._store.replies()
        opened, unreadable = self._read_tips(names, self._unseal(names, [r.sealed for r in stored]))
        replies = [reader.open_reply(r, self.unlocker.pairs) for r in stored]
        return gather(opened, replies), unreadable


def report_unreadable(unreadable: Sequence[reader.Unreadable]) -> None:
    """Name every envelope that did not open, and why (the others are shown)."""
    for item in unreadable:
        report(f"tip {item.id} cannot be opened: {item.reason}")


def triage_order(conversation: Conversation) -> tuple[int, str]:
    """New first (a new follow-up counts), then read, then handled; oldest first in each."""
    status = conversation.status
    rank = STATUSES.index(status) if status in STATUSES else 0
    return rank, conversation.root.received_at


def setting_of(conversation: Conversation) -> str | None:
    root = conversation.root
    return root.fields["setting"] if isinstance(root, reader.Tip) else None


def matches(conversation: Conversation, statuses: Sequence[str], setting: str | None) -> bool:
    """True if ``conversation`` has one of ``statuses`` (any if empty) and ``setting``."""
    return ((not statuses or conversation.status in statuses)
            and (setting is None or setting_of(conversation) == setting))


def select(conversations: Iterable[Conversation], statuses: Sequence[str], setting: str | None
           ) -> list[Conversation]:
    """Conversations with one of ``statuses`` (all if empty) and ``setting`` (any if None)."""
    return sorted((c for c in conversations if matches(c, statuses, setting)),
                  key=triage_order)


# --- options shared by several commands ---------------------------------------

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

store_option: Decorator = click.option(
    "--store", type=click.Path(file_okay=False, path_type=Path), envvar=ENV_STORE,
    help=f"The local store (default: your data folder; env {ENV_STORE}).")
key_option: Decorator = click.option(
    "--key", "key_files", multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A private key file (centre.key), besides the store's keyring. Repeatable.")
inbox_option: Decorator = click.option(
    "--inbox", type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Read a copied inbox folder (holding new/) instead of the store.")
lang_option: Decorator = click.option(
    "--lang", type=click.Choice(LANGS), default="da", show_default=True,
    help="Language of setting, sign and relation labels.")
filter_options: list[Decorator] = [
    click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES),
                 help="Only tips with this status. Repeatable."),
    click.option("--setting", type=click.Choice(sorted(SETTING_IDS)),
                 help="Only tips about this setting."),
]


def with_options(*decorators: Decorator) -> Decorator:
    """Apply several click options at once."""

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def source_for(store: Path | None, inbox: Path | None, key_files: Sequence[Path]) -> Source:
    if inbox is not None:
        # A copied folder: read only, and the store's keyring still helps open it.
        return Source(open_store(store) if store else None, Inbox(inbox), key_files)
    return Source(open_store(store), None, key_files)


# --- the commands ----------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Read and triage the tips sent to the centre's anonymous tip site.

    \b
    The first time:
      hotline pull https://tips.example.dk --token-file ~/hotline.token
    Every morning (the passphrase is asked once; 'hotline lock' forgets it):
      hotline pull
      hotline list
      hotline show 3f2a91c0
      hotline reply 3f2a91c0
      hotline done 3f2a91c0
      hotline lock
    From a copied inbox folder (offline machine):
      hotline import /media/usb/inbox
      hotline list --inbox /media/usb/inbox --key centre.key
    """


@cli.command()
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
    passphrase = ask_new_passphrase(ENV_PASSPHRASE, "Passphrase for the new key")
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


@cli.command(name="keys")
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


@cli.command()
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
    current = os.environ.get(ENV_PASSPHRASE, "") or ask_secret(
        f"Current passphrase for key {entry.fingerprint}")
    pair = keys.load_private_key(entry.path, current)
    new = ask_new_passphrase(ENV_NEW_PASSPHRASE, "New passphrase")
    refuse_weak(new)
    replace_text(entry.path, keys.private_key_text(pair, new, kdf_cost()))
    click.echo(f"Passphrase changed for key {pair.fingerprint} ({entry.path}).")


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def fingerprint(file: Path) -> None:
    """Print the fingerprint of a public or private key file, to compare by phone."""
    kind = "private" if keys.is_private_key_file(file) else "public"
    click.echo(f"{keys.read_fingerprint(file)}  ({kind} key, {file})")


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Write the new staff token to this file (0600).")
def token(out: Path) -> None:
    """Make a staff API token; print the hash the site's operator configures."""
    value = secrets.token_urlsafe(32)  # 256 bits: cannot be guessed through the rate limit
    keys.write_new_file(out, value + "\n", 0o600)
    digest = hashlib.sha256(value.encode()).hexdigest()
    click.echo(f"Token written to {out}. Give the site's operator this line:")
    click.echo(f"TIPSITE_STAFF_TOKEN_SHA256={digest}")


@cli.command()
def lock() -> None:
    """Make the key agent forget every unlocked key now (and stop it).

    The next command that opens tips asks for the passphrase again. The agent also
    forgets by itself after HOTLINE_AGENT_IDLE without use (default 30 minutes).
    """
    if key_agent.Agent().lock():
        click.echo("Locked: the agent forgot your keys.")
    else:
        click.echo("No agent was running; no key is unlocked.")


def read_token(token_file: Path | None, remembered: Path | None = None) -> str:
    """The staff token: --token-file, else HOTLINE_TOKEN, else the file the store remembers.

    Never from the command line. A token file other users can read is refused: with
    the token they could empty the site's inbox.
    """
    value = os.environ.get(ENV_TOKEN, "").strip() if token_file is None else ""
    if token_file is None and not value and remembered is not None:
        if not remembered.is_file():
            raise Problem(f"the token file {remembered} (remembered from an earlier pull) "
                          "is gone", "give --token-file FILE")
        token_file = remembered
    if token_file is not None:
        check_private(token_file, "the token file")
        value = token_file.read_text(encoding="utf-8").strip()
    if not value:
        raise Problem("no staff token", f"give --token-file FILE or set {ENV_TOKEN}")
    return value


@cli.command(name="pull")
@click.argument("url", required=False)
@click.option("--token-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=f"File holding the staff token (or set {ENV_TOKEN}).")
@click.option("--keep", is_flag=True, help="Leave the envelopes on the server too.")
@click.option("--allow-http", is_flag=True,
              help="Allow plain http:// to another machine (only for a Tor onion address).")
@key_option
@store_option
def pull_command(url: str | None, token_file: Path | None, keep: bool, allow_http: bool,
                 key_files: Sequence[Path], store: Path | None) -> None:
    """Move every waiting tip and follow-up from the site at URL into the local store.

    Each envelope is deleted on the server only after the store holds it durably;
    an interrupted pull can simply be run again. Refuses if the site seals tips to
    a key that is not one of yours. Once the site has shown our key and taken the
    token, remembers URL and the token file's path (not the token), so the next
    morning 'hotline pull' needs no arguments. Sends replies an interrupted
    'hotline reply' left waiting.
    """
    from tipsite.hotline.outbox import send_waiting
    from tipsite.hotline.pull import pull

    local = open_store(store)
    client = site_client(local, url, allow_http, token_file)
    entries = key_entries(local, key_files)
    if not entries:
        raise Problem("you have no key to compare the site's key with",
                      "make one with 'hotline keygen' or give --key FILE")
    site_fingerprint = client.fingerprint()
    if site_fingerprint not in {e.fingerprint for e in entries}:
        # Someone who controls the server could swap in their own key to read new tips.
        raise Problem(
            f"STOP: the site seals tips to key {site_fingerprint or '(none)'}, "
            "which is NOT one of your keys. Nothing was pulled.",
            "the server's key may have been replaced: call the site's operator and compare "
            "fingerprints ('hotline keys' here, keys/centre.pub there) before trusting it",
            exit_code=EXIT_KEY_MISMATCH,
        )
    names = client.names()
    with local.locked():
        # The site answered with our key and took the token: remembered for the next
        # pull and for 'hotline reply' (the token file's path only, never the token).
        local.remember_site(client.base, allow_http or local_allows_http(local, client.base))
        if token_file is not None:
            local.remember_token_file(token_file.resolve())
        with click.progressbar(length=len(names), label="Pulling", file=sys.stderr) as bar:
            result = pull(client, local, names, {e.key_id for e in entries}, keep, bar.update)
        # Replies an interrupted 'hotline reply' kept go out with the next pull.
        sent = send_waiting(client, local)
    # Tips and follow-ups look alike until opened, and pull opens nothing: "envelopes".
    was = "was" if result.already == 1 else "were"
    click.echo(f"Pulled {screen.plural(result.added, 'new envelope')} (tips or follow-ups) "
               f"into {local.path} ({result.already} {was} already there); "
               f"{'kept on' if keep else 'deleted from'} the server: "
               f"{len(names) if keep else result.deleted}.")
    if sent.stored or sent.already:
        count = sent.stored + sent.already
        click.echo(f"Sent {screen.plural(count, 'waiting reply', 'waiting replies')} "
                   "to the site.")
    if result.foreign:
        report(f"{result.foreign} of the new tips are sealed to a key you do not hold",
               "the server's key may have been swapped earlier; compare fingerprints")
        raise click.exceptions.Exit(EXIT_KEY_MISMATCH)


@cli.command(name="import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@store_option
def import_command(folder: Path, store: Path | None) -> None:
    """Copy every tip from a copied inbox FOLDER into the store (twice adds nothing)."""
    inbox, local = Inbox(folder), open_store(store)
    names = inbox.names()
    added = 0
    with local.locked(), click.progressbar(names, label="Importing", file=sys.stderr) as bar:
        for name in bar:
            added += local.add(name, inbox.read(name))
    click.echo(f"Imported {added} new tips into {local.path} "
               f"({len(names) - added} were already there).")


@cli.command(name="list")
@with_options(inbox_option, key_option, store_option, lang_option, *filter_options)
@click.pass_context
def list_command(ctx: click.Context, inbox: Path | None, key_files: Sequence[Path],
                 store: Path | None, lang: str, statuses: Sequence[str],
                 setting: str | None) -> None:
    """One line per conversation: id, status, time, setting, location, what is new.

    A tip's follow-ups are counted on its line, not listed apart; a conversation
    with an unread follow-up counts as new. A follow-up whose tip is not here (a
    mistyped receipt code, or a purged tip) gets a line of its own.
    """
    source = source_for(store, inbox, key_files)
    conversations, unreadable = source.conversations()
    width = shortid.short_length(source.names())
    rows = [screen.list_columns(c, width, lang) for c in select(conversations, statuses, setting)]
    if rows and sys.stdout.isatty():
        # A header for people; a pipe (grep, a script) gets only the tips' lines.
        rows.insert(0, screen.list_header(lang, with_status=source.inbox is None))
    for line in screen.aligned(rows):
        click.echo(safe(line, multiline=False))
    report_unreadable(unreadable)
    if not conversations and not unreadable:
        click.echo("No tips.", err=True)
    if unreadable:
        ctx.exit(1)


@cli.command()
@click.argument("tip_id")
@with_options(inbox_option, key_option, store_option, lang_option)
def show(tip_id: str, inbox: Path | None, key_files: Sequence[Path], store: Path | None,
         lang: str) -> None:
    """Show TIP_ID's whole conversation (tip, follow-ups, replies) and mark it read.

    TIP_ID is any unique start of the id of the tip or of one of its follow-ups.
    """
    source = source_for(store, inbox, key_files)
    name = source.resolve(tip_id)
    conversations, unreadable = source.conversations()
    broken = next((u for u in unreadable if u.id == name), None)
    if broken is not None:
        raise Problem(f"tip {name} cannot be opened: {broken.reason}")
    conversation = find(conversations, name)
    click.echo(safe(screen.conversation_text(conversation, lang)))
    if source.inbox is None:
        for item in (conversation.root, *conversation.followups):
            if item.status == "new":
                source._store.set_status(item.id, "read")


@cli.command()
@click.argument("tip_ids", nargs=-1, required=True)
@store_option
def done(tip_ids: Sequence[str], store: Path | None) -> None:
    """Mark tips as handled (today). 'hotline purge' can remove them later."""
    local = open_store(store)
    names = local.names()
    today = date.today().isoformat()
    for tip_id in tip_ids:
        name = shortid.resolve(tip_id, names)
        local.set_status(name, "handled", today)
        click.echo(f"{name[:shortid.SHOWN]} handled on {today}")


@cli.command()
@click.argument("tip_id")
@click.argument("text", required=False)
@key_option
@store_option
def note(tip_id: str, text: str | None, key_files: Sequence[Path], store: Path | None) -> None:
    """Add a staff note to a tip (TEXT, or standard input). Notes are sealed at rest."""
    local = open_store(store)
    name = shortid.resolve(tip_id, local.names())
    if text is None:
        text = sys.stdin.read()
    if not text.strip():
        raise Problem("the note is empty")
    try:
        wanted = envelope_key_id(local.read(name))
    except EnvelopeError as exc:
        raise Problem(f"tip {name} cannot be opened: {exc}") from None
    entry = next((e for e in key_entries(local, key_files) if e.key_id == wanted), None)
    if entry is None:
        raise Problem(f"tip {name} is sealed to a key you do not hold")
    # Sealed to the tip's own key: a note says as much as the tip and is kept as safely.
    local.add_note(name, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                   seal(text.strip().encode("utf-8"), entry.public))
    click.echo(f"Note added to {name[:shortid.SHOWN]}.")


def message_text(message_file: Path | None, tip_id: str) -> str:
    """The reply from --message-file, standard input (not a terminal) or $EDITOR."""
    if message_file is not None:
        return message_file.read_text(encoding="utf-8")
    if not sys.stdin.isatty():
        return sys.stdin.read()
    # The editor's file lives in a private folder that goes on every ordinary ending
    # (editor.py); nothing else of the reply is ever written unsealed.
    typed = editor.edit(REPLY_TEMPLATE.format(tip=tip_id))
    if typed is None:
        raise Problem("the editor closed without saving; nothing was sent")
    return typed


def confirm_reply(conversation_line: str, message: str) -> None:
    """Show what goes to whom and ask before sending; Problem if the answer is no."""
    click.echo(f"To the tipster of {conversation_line}", err=True)
    click.echo(safe(screen.indent(message)), err=True)
    try:
        if prompt.confirm("Send this reply?"):
            return
    except prompt.NoTerminal:
        pass  # checked before anything was typed; the terminal went away since
    raise Problem("not sent; nothing was stored",
                  "run the command again when the reply is as you want it")


REPLY_TEMPLATE = """

# Write your reply to {tip} above. Lines starting with # are left out.
# Only the person holding this tip's receipt code can read it, on the site's
# follow-up page. Write nothing that would harm them if someone else saw it.
"""


def site_client(local: Store, url: str | None, allow_http: bool, token_file: Path | None,
                first_time: str = "'hotline pull URL --token-file FILE'") -> StaffClient:
    """The staff API of URL, or of the site the last pull used, with the staff token.

    The token comes from ``token_file``, HOTLINE_TOKEN, or the token file the last
    pull was given (the store remembers its path, never the token).
    """
    from tipsite.hotline.pull import StaffClient, check_url

    remembered = local.site()
    if url is None:
        if remembered is None:
            raise Problem("no site address known yet",
                          f"give it once: {first_time}; later pulls remember it")
        url, allow_http = remembered[0], remembered[1] or allow_http
    base = check_url(url, allow_http)
    # The remembered token goes only to the remembered site: a mistyped or planted
    # address on the command line must not receive it unasked.
    same_site = remembered is not None and remembered[0] == base
    return StaffClient(base, read_token(token_file, local.token_file() if same_site else None))


def local_allows_http(local: Store, base: str) -> bool:
    """True if plain http was allowed for ``base`` when it was remembered."""
    remembered = local.site()
    return remembered is not None and remembered[0] == base and remembered[1]


@cli.command()
@click.argument("tip_id")
@click.option("--message-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Take the reply from this file (else standard input, else $EDITOR).")
@click.option("--url", help="The site (default: the one the last 'hotline pull' used).")
@click.option("--token-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=f"File holding the staff token (or set {ENV_TOKEN}).")
@click.option("--allow-http", is_flag=True,
              help="Allow plain http:// to another machine (only for a Tor onion address).")
@click.option("--yes", "-y", is_flag=True,
              help="Send without showing the reply and asking first (for scripts).")
@with_options(key_option, store_option)
def reply(tip_id: str, message_file: Path | None, url: str | None, token_file: Path | None,
          allow_http: bool, yes: bool, key_files: Sequence[Path], store: Path | None) -> None:
    """Reply to the tipster of TIP_ID; only their receipt code opens the reply.

    TIP_ID may name the tip or one of its follow-ups: the reply always goes to the
    key inside the original tip, never to a key in a follow-up (which a forger who
    can write the server's inbox could have chosen). The reply is sealed to the
    tipster's reply key (from inside the tip) and, for
    your records, to the centre's key; both are stored before it is uploaded. If
    the upload is cut off, run the same command again (or the next pull): it is
    sent once. The same text twice to one tip is one reply. Before sending, the reply
    and its conversation are shown and you are asked (--yes: not asked).
    """
    from tipsite.hotline import outbox

    if not yes and not prompt.has_terminal():
        raise Problem("there is no terminal to ask 'send this reply?' on",
                      "add --yes to send without asking (scripts)")
    source = Source(open_store(store), None, key_files)
    local = source._store
    client = site_client(local, url, allow_http, token_file,  # fail before the typing
                         "'hotline pull URL --token-file FILE' (or --url URL)")
    name = source.resolve(tip_id)
    conversations, unreadable = source.conversations()
    pairs = source.unlocker.pairs  # conversations() unlocked the centre's key
    broken = next((u for u in unreadable if u.id == name), None)
    if broken is not None:
        raise Problem(f"tip {name} cannot be opened: {broken.reason}")
    conversation = find(conversations, name)
    # Always the original tip's key, whichever member was named: a follow-up's key
    # is never used, so a forged follow-up cannot capture a reply (SECURITY.md).
    reply_to = conversation.reply_to
    root = conversation.root.id
    if reply_to is None:
        raise Problem(*no_reply_reason(conversation))
    if name != root:
        click.echo(f"Replying to the tipster of tip {root[:shortid.SHOWN]} (the key in the "
                   "original tip), not to a key in the follow-up.", err=True)
    name = root
    message = outbox.clean_message(message_text(message_file, name[:shortid.SHOWN]))
    if not message:
        raise Problem("the reply is empty; nothing was sent")
    if not yes:
        confirm_reply(screen.reply_target(conversation.root), message)
    centre = next(e.public for e in source.entries()
                  if e.key_id == envelope_key_id(local.read(name)))
    with local.locked():
        earlier = [r for r in local.replies() if r.tip == name]
        if not any(reader.open_reply(r, pairs).message == message for r in earlier):
            local.add_reply(outbox.write_reply(message, name, reply_to, centre,
                                               payload.utc_now()))
        else:
            click.echo("This reply was written before; it is not added again.", err=True)
        try:
            sent = outbox.send_waiting(client, local)
        except PullError as exc:
            raise Problem(f"the reply is kept but not sent: {exc}",
                          "run the same command again, or 'hotline pull', when the site "
                          "can be reached") from None
    click.echo(f"Reply to {name[:shortid.SHOWN]} {sent_phrase(sent.stored, sent.already)}. "
               "The tipster reads it with their receipt code.")


def sent_phrase(stored: int, already: int) -> str:
    """How a reply command's upload went, in words that fit every count."""
    if not stored and not already:
        return "was on the site already; nothing needed sending"
    parts = [f"{stored} sent now"] if stored else []
    if already:
        parts.append(f"{already} {'was' if already == 1 else 'were'} there already")
    return f"is on the site ({', '.join(parts)})"


def no_reply_reason(conversation: Conversation) -> tuple[str, str]:
    """Why a conversation cannot get a reply: an error line and a hint."""
    root = conversation.root
    short = root.id[:shortid.SHOWN]
    if isinstance(root, reader.Followup):
        return (f"follow-up {short} has no tip here, and replies go only to the key in the "
                "original tip", "its tip was purged, or the code was mistyped; it cannot "
                "get a reply")
    if root.reply_to is None:
        return (f"tip {short} has no receipt code, so its tipster cannot be reached",
                "tips sent before receipt codes cannot get a reply")
    return (f"tip {short} is SUSPICIOUS: its lookup id does not belong to its reply key",
            "it was not made from a receipt code; no reply is sent to its key")


@cli.command()
@click.option("--handled-before", "before",
              type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Remove tips marked handled on or before this date (YYYY-MM-DD).")
@click.option("--older-than", "days", type=click.IntRange(min=0),
              help="Remove tips marked handled DAYS days ago or earlier (0: today too).")
@with_options(key_option, store_option)
def purge(before: datetime | None, days: int | None, key_files: Sequence[Path],
          store: Path | None) -> None:
    """Remove handled tips for good, with their follow-ups, notes and replies.

    Give --handled-before DATE (handled on or before that day) or --older-than
    DAYS. A handled tip that has an unread follow-up is kept (and named): new
    details are never deleted unseen. Tips are opened to find their follow-ups,
    so this needs the key.
    """
    if (before is None) == (days is None):
        raise click.UsageError("give either --handled-before DATE or --older-than DAYS")
    cutoff = (before.date() if before is not None
              else date.today() - timedelta(days=days or 0)).isoformat()
    source = Source(open_store(store), None, key_files)
    local = source._store
    conversations, unreadable = source.conversations()
    states = local.states()
    doomed: list[str] = []
    for conversation in conversations:
        root = conversation.root
        if root.status != "handled" or root.handled_on > cutoff:
            continue
        if conversation.new_followups:
            # Working as meant, not a failure: a notice, and the exit status stays 0.
            click.echo(f"note: kept {root.id[:shortid.SHOWN]}: it is handled, but has an "
                       f"unread follow-up; read it with 'hotline show "
                       f"{root.id[:shortid.SHOWN]}'", err=True)
            continue
        doomed += conversation.members()
    for item in unreadable:  # its follow-ups cannot be known; its own status still counts
        state = states.get(item.id)
        if state and state.status == "handled" and state.handled_on <= cutoff:
            doomed.append(item.id)
    with local.locked():
        for name in doomed:
            local.remove(name)
    removed = screen.plural(len(doomed), "tip or follow-up", "tips and follow-ups")
    click.echo(f"Removed {removed} handled on or before {cutoff}.")


@cli.command(name="export")
@click.option("--format", "fmt", type=click.Choice(exports.FORMATS), default="json",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (0600) instead of standard output.")
@with_options(inbox_option, key_option, store_option, lang_option, *filter_options)
@click.pass_context
def export_command(ctx: click.Context, fmt: str, out: Path | None, inbox: Path | None,
                   key_files: Sequence[Path], store: Path | None, lang: str,
                   statuses: Sequence[str], setting: str | None) -> None:
    """Export every tip, with its follow-ups and replies, as JSON, CSV (for Excel) or HTML.

    JSON: one object per tip with a ``followups`` and a ``replies`` list. CSV: one
    row per tip; follow-ups and replies one per line in their own cells. A
    follow-up whose tip is not here is exported on its own (kind ``followup``).
    """
    if out is None and fmt != "json" and sys.stdout.isatty():
        # CSV and HTML keep tip text as it is; only JSON is escaped for a terminal.
        raise Problem(f"{fmt.upper()} is not for the terminal", "add --out FILE")
    source = source_for(store, inbox, key_files)
    with cyclic_gc_paused():
        conversations, unreadable = source.conversations()
        # Oldest first as gathered, not the listing's triage order: an export is a record.
        chosen = [c for c in conversations if matches(c, statuses, setting)]
        count = len(chosen)
        if fmt == "json":
            data = exports.to_json(chosen)
        elif fmt == "csv":
            data = exports.to_csv(chosen, lang).encode("utf-8")
        else:
            data = exports.to_html(chosen, lang).encode("utf-8")
        # Freed while the collector still sleeps: woken with them alive, it would
        # walk every opened tip once more (about 50 ms for 10,000) to find nothing.
        del conversations, chosen
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        warn_if_redirected()
    else:
        write_export(out, data)
        click.echo(f"Exported {count} tips (with their follow-ups) to {out}", err=True)
    report_unreadable(unreadable)
    if unreadable:
        ctx.exit(1)


def warn_if_redirected() -> None:
    """Warn when standard output is a file: ``> tips.json`` leaves opened tips as the
    shell made the file (usually 0644, readable by every user); ``--out`` makes it 0600."""
    try:
        regular = stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode)
    except (OSError, ValueError):  # no real descriptor (captured output): nothing to say
        return
    if regular:
        click.echo("warning: the export went to a file the shell made, which other users "
                   "may be able to read", err=True)
        click.echo("hint: use --out FILE instead: it makes the file readable by you alone "
                   "(0600)", err=True)


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk job that makes no cycles.

    Opening and exporting 10,000 tips makes a few hundred thousand objects, and the
    collector would walk the growing heap again and again to find nothing: opened tips
    hold no reference cycles, and reference counting frees them all the same.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def write_export(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out`` whole or not at all, readable by the owner only."""
    try:
        replace_durably(out.resolve(), data)  # 0600: an export holds opened tips
    except OSError as exc:
        raise Problem(f"cannot write {out}: {exc.strerror}") from None


# --- entry point ---------------------------------------------------------------------


def fail(message: str, hint: str = "", code: int = 1) -> NoReturn:
    report(message, hint)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``hotline``; every failure becomes an ``error:`` line, never a traceback."""
    try:
        code = cli.main(args=argv, prog_name="hotline", standalone_mode=False)
    except Problem as exc:
        fail(exc.message, exc.hint, exc.status)
    except click.UsageError as exc:
        path = exc.ctx.command_path if exc.ctx else "hotline"
        fail(exc.format_message(), f"see '{path} --help'", 2)
    except click.ClickException as exc:
        fail(exc.format_message(), code=exc.exit_code)
    except TipsiteError as exc:
        fail(str(exc), getattr(exc, "hint", ""))
    except (click.Abort, KeyboardInterrupt, EOFError):
        fail("interrupted", code=130)
    except editor.Stopped as stopped:
        # The draft is gone already (its finally ran); the terminal may be gone too.
        with suppress(OSError):
            report("stopped; the reply was not sent, and its draft is removed")
        sys.exit(editor.exit_code(stopped))
    except BrokenPipeError:
        sys.exit(1)  # the reader went away (hotline export | head); nothing to say
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    sys.exit(code if isinstance(code, int) else 0)

