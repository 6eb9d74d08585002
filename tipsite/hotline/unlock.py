"""Unlocking the centre's private keys: which keys there are, and trying passphrases.

Nothing here asks a person directly: whoever unlocks passes an ``ask`` function
(the command line asks at the terminal, a script sets HOTLINE_PASSPHRASE) and a
``tell`` function for notices, so the staff desk can unlock the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from tipsite.core import keys
from tipsite.core.envelope import key_ids
from tipsite.core.errors import WrongPassphrase
from tipsite.hotline import agent as key_agent
from tipsite.hotline.config import NO_PASSPHRASE, NO_PASSPHRASE_HINT, passphrase_from_environment
from tipsite.hotline.keyring import KeyEntry, entry_for
from tipsite.hotline.problem import Problem
from tipsite.hotline.store import Store

AskPassphrase = Callable[[str], str]  # a question in, the passphrase typed out
Tell = Callable[[str], None]  # a notice for the person, not an error

TRIES = 3


def cannot_ask(question: str) -> str:
    """The ``ask`` of a caller with nobody to ask: says which variable to set instead."""
    raise Problem(NO_PASSPHRASE, NO_PASSPHRASE_HINT)


def tell_nobody(notice: str) -> None:
    """The ``tell`` of a caller with nobody to tell."""


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
    if passphrase_from_environment() or not key_agent.enabled():
        return None  # scripts give the passphrase each time; nothing to remember
    key_agent.idle_seconds()  # a mistyped HOTLINE_AGENT_IDLE fails before any prompt
    return key_agent.Agent()


def unlock(entries: Sequence[KeyEntry], wanted: set[bytes], known: list[str] | None = None,
           agent: key_agent.Agent | None = None, ask: AskPassphrase = cannot_ask,
           tell: Tell = tell_nobody) -> list[keys.KeyPair]:
    """Unlock the keys in ``entries`` whose ids are in ``wanted``.

    Keys the ``agent`` holds are taken from it; keys unlocked here are given to it.
    A passphrase that opened one key is tried on the next (most centres use one);
    HOTLINE_PASSPHRASE is the only one tried when it is set. ``known`` carries the
    passphrases that worked over several calls, and learns new ones.
    """
    from_env = passphrase_from_environment()
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
        pair = try_passphrases(entry, known)
        if pair is None and from_env:
            raise WrongPassphrase(f"wrong passphrase for {entry.path}")
        if pair is None:
            pair = _ask_until_it_opens(entry, known, ask, tell)
        pairs.append(pair)
        fresh.append(pair)
    if agent is not None and fresh and not agent.add(fresh):
        tell("note: the key agent did not start; the next command asks again.")
    return pairs


def _ask_until_it_opens(entry: KeyEntry, known: list[str], ask: AskPassphrase,
                        tell: Tell) -> keys.KeyPair:
    for tries in range(1, TRIES + 1):
        passphrase = ask(f"Passphrase for key {entry.fingerprint}")
        pair = try_passphrases(entry, [passphrase])
        if pair is not None:
            known.append(passphrase)
            return pair
        if tries < TRIES:
            tell("That passphrase does not open this key; try again.")
    raise WrongPassphrase(f"wrong passphrase for {entry.path}")


def try_passphrases(entry: KeyEntry, passphrases: Iterable[str]) -> keys.KeyPair | None:
    """The key of ``entry`` opened with the first of ``passphrases`` that fits, or None."""
    for passphrase in passphrases:
        try:
            return keys.load_private_key(entry.path, passphrase)
        except WrongPassphrase:
            continue
    return None


class KeyUnlocker:
    """The keys a command has unlocked so far; more are unlocked as envelopes need them.

    Each key is unlocked once, and a passphrase that worked is tried first on the next
    key, however many times envelopes ask (see :func:`unlock`).
    """

    def __init__(self, entries: Callable[[], list[KeyEntry]], ask: AskPassphrase = cannot_ask,
                 tell: Tell = tell_nobody) -> None:
        self.pairs: list[keys.KeyPair] = []
        self._find_entries = entries
        self._ask = ask
        self._tell = tell
        self._known: list[str] = []
        self._entries: list[KeyEntry] | None = None
        self._agent = key_agent_for_session()

    def need(self, sealed: Iterable[bytes]) -> list[keys.KeyPair]:
        """Unlock whatever keys ``sealed`` need that are not unlocked yet; all pairs so far."""
        wanted = key_ids(sealed) - {pair.key_id for pair in self.pairs}
        if not wanted:
            return self.pairs
        if self._entries is None:
            self._entries = self._find_entries()
        if not self._entries:
            raise Problem("there is no private key to open tips with",
                          "give --key FILE, or make a key with 'hotline keygen'")
        self.pairs += unlock(self._entries, wanted, self._known, self._agent,
                             self._ask, self._tell)
        return self.pairs
