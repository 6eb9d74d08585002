"""Conversations: a tip, the follow-ups its tipster sent, and the staff's replies.

The site never learns which envelopes belong together: a follow-up names its
tip's lookup id only inside the seal, so the staff link them here, after
opening. A follow-up whose lookup id matches no tip (a mistyped receipt code, or
a tip already purged) starts a conversation of its own and is listed as such:
nothing a tipster sent may drop out of sight.

Replies go to one key only: the one inside the conversation's original tip, and
only if its lookup id is that key's hash (:attr:`Conversation.reply_to`). A
follow-up cannot redirect them: one whose key is not bound to its lookup id, or
is not its tip's key, is flagged ``suspicious`` (whoever can write the server's
inbox could have sealed it) and shown as such, never trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter

from tipsite.hotline.reader import OTHER_KEY, Followup, Opened, Reply, ReplyTo, Tip

Entry = Tip | Followup | Reply


@dataclass(slots=True)
class Conversation:
    """A tip (or a follow-up without its tip) with everything that belongs to it."""

    root: Opened
    followups: list[Followup] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.root.id

    @property
    def orphan(self) -> bool:
        """True for follow-ups whose tip is not here."""
        return isinstance(self.root, Followup)

    @property
    def reply_to(self) -> ReplyTo | None:
        """Where replies go: the original tip's bound key, or None (no reply possible).

        Never a follow-up's key, even a follow-up whose tip is gone: a reply must go
        where the tipster who sent the tip reads it, and nowhere else.
        """
        root = self.root
        if isinstance(root, Tip) and root.reply_to is not None and root.reply_to.bound:
            return root.reply_to
        return None

    @property
    def suspicious(self) -> list[Followup]:
        """The follow-ups that may be forged (see the module's docstring)."""
        items = [self.root, *self.followups] if self.orphan else self.followups
        return [f for f in items if isinstance(f, Followup) and f.suspicious]

    @property
    def new_followups(self) -> list[Followup]:
        """Follow-ups nobody has shown yet."""
        return [f for f in self.followups if f.status == "new"]

    @property
    def status(self) -> str:
        """The tip's status, but ``new`` while a follow-up is unread: it needs a look."""
        return "new" if self.new_followups else self.root.status

    def members(self) -> list[str]:
        """The ids of the tip and its follow-ups."""
        return [self.root.id, *(f.id for f in self.followups)]

    def timeline(self) -> list[Entry]:
        """Tip, follow-ups and replies in time order (all UTC, same format)."""
        entries: list[Entry] = [self.root, *self.followups, *self.replies]
        return sorted(entries, key=lambda e: (*_time(e), e.id))


def _time(entry: Entry) -> tuple[str, int]:
    # Times are kept to the second. Within one second the tip comes first, then a
    # reply, then a follow-up: a tipster adds details after reading the replies.
    if isinstance(entry, Reply):
        return entry.written_at, 1
    return entry.received_at, 0 if isinstance(entry, Tip) else 2


def gather(items: Iterable[Opened], replies: Iterable[Reply] = ()) -> list[Conversation]:
    """Group opened tips and follow-ups by lookup id, and put each reply with its own.

    The conversations come oldest first (by their first tip or follow-up, then id).
    """
    ordered = sorted(items, key=attrgetter("received_at", "id"))
    by_lookup: dict[str, Conversation] = {}
    conversations: list[Conversation] = []
    followups: list[Followup] = []
    for item in ordered:  # tips first, so a follow-up finds its tip whatever the times say
        if isinstance(item, Tip):
            conversation = Conversation(item, [], [])
            conversations.append(conversation)
            # Only a bound pair claims its lookup id: a forged "tip" naming a real
            # lookup id with its own key can never collect the real tipster's follow-ups.
            if item.reply_to is not None and item.reply_to.bound:
                by_lookup.setdefault(item.reply_to.lookup, conversation)
        else:
            followups.append(item)
    orphans: list[Conversation] = []
    for item in followups:
        lookup = item.reply_to.lookup if item.reply_to else None
        home = by_lookup.get(lookup) if lookup else None
        if home is None:
            home = Conversation(item, [], [])  # the earliest follow-up of an unknown code leads
            orphans.append(home)
            if lookup:
                by_lookup[lookup] = home
        else:
            tip_key = home.reply_to.key if home.reply_to else None
            if not item.suspicious and item.reply_to is not None and item.reply_to.key != tip_key:
                item.suspicious = OTHER_KEY
            home.followups.append(item)
    if orphans:  # the tips' conversations are in time order already
        conversations = sorted([*conversations, *orphans], key=_leader_time)
    replies = list(replies)
    if replies:  # most exports have none: then no index of every member is needed
        by_member = {member: c for c in conversations for member in c.members()}
        for reply in replies:
            if reply.tip in by_member:
                by_member[reply.tip].replies.append(reply)
    return conversations


def _leader_time(conversation: Conversation) -> tuple[str, str]:
    return conversation.root.received_at, conversation.root.id


def find(conversations: Iterable[Conversation], item_id: str) -> Conversation:
    """The conversation holding the tip or follow-up ``item_id``."""
    return next(c for c in conversations if item_id in c.members())
