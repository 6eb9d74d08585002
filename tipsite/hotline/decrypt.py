"""The decrypting pipeline: envelopes read, their keys unlocked and opened, in threads.

A thread reads the files while the caller unlocks the first envelope's key:
Argon2id runs without the GIL, so on two cores the unlock and the reading overlap.
Each chunk goes to the decrypting threads as soon as it is read and its keys are
unlocked, so the last reads overlap the first decryptions. One reading thread, not
more: a second only takes turns with the first for the GIL, no faster and more CPU
(measurements in docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from tipsite.core.keys import KeyPair
from tipsite.hotline import reader

ReadChunk = Callable[[Sequence[str]], list[bytes]]  # names in, their envelopes out
NeedKeys = Callable[[Iterable[bytes]], list[KeyPair]]  # envelopes in, every key unlocked out


def unseal_all(names: Sequence[str], read_chunk: ReadChunk, need_keys: NeedKeys,
               extra: Sequence[bytes] = ()) -> list[bytes | reader.Unreadable]:
    """The plaintext of each envelope ``names`` (or why it does not open), in order.

    ``need_keys`` unlocks the keys the envelopes (and ``extra``, such as the stored
    replies) need, asking at most once per key.
    """
    chunks: list[list[bytes | reader.Unreadable]] = []
    with reader.envelope_pool(len(names), workers=1) as reading, \
            reader.envelope_pool(len(names)) as decrypting:
        read = reader.chunked_map(reading, read_chunk, names)  # the thread starts
        need_keys([*read_chunk(names[:1]), *extra])  # one file read twice
        futures = []  # with a pool, chunks come from these, in order
        start = 0
        for data in read:
            pairs = list(need_keys(data))  # keys later envelopes need, if any
            chunk, start = names[start:start + len(data)], start + len(data)
            if decrypting is None:
                chunks.append(reader.unseal_chunk(chunk, data, pairs))
            else:
                futures.append(decrypting.submit(reader.unseal_chunk, chunk, data, pairs))
        chunks += [future.result() for future in futures]
    return [plaintext for chunk in chunks for plaintext in chunk]
