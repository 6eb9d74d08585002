"""The staff tool ``hotline`` (click, never Flask). Holds the centre's private key.

A service layer that neither prints, asks nor imports click (the staff desk calls it
directly), and the command line over it:

- ``cli``          the command group and the entry point ``main``
- ``commands``     the commands, one module per section of docs/hotline.md
- ``ui``           everything said to or asked of a person: errors, notices, questions
- ``editor``       a reply's draft that never outlives it
- ``problem``      ``Problem``: a failure with a message, a hint and an exit status
- ``config``       the default store and the ``HOTLINE_*`` environment variables
- ``source``       the tips a command works on: the store or a copied inbox
- ``unlock``       which keys there are, and trying passphrases on them
- ``decrypt``      the threaded pipeline that reads and opens envelopes
- ``triage``       the triage order, filters, statuses, notes and purging
- ``connection``   the site's staff API: address, token, whether its key is ours
- ``replies``      whose key a reply goes to, keeping it once and sending it
- ``store``        the sealed local store
- ``keyring``      the staff's keys
- ``reader``       opening envelopes from a store or a copied inbox
- ``conversation`` a tip with its follow-ups and replies
- ``pull``         pulling tips from the staff API
- ``outbox``       sealing replies and uploading the waiting ones
- ``exports``      JSON, CSV and HTML exports
- ``terminal``     safe terminal output
- ``screen``       the layout of lists and tips at the terminal
- ``shortid``      short ids for tips
- ``agent``        the key agent: unlock once per working session (``hotline lock``)
- ``private``      folders and files only their owner may open (store, keys, token)
- ``passphrase``   judging the strength of staff passphrases (zxcvbn)
- ``deskdb``       the desk's database beside the store: accounts, audit trail
- ``accounts``     staff accounts: own passphrases that open the centre's keys
- ``trail``        the audit trail: who did what to which tip, and when
- ``related``      tips naming the same address, plate, phone, CVR or company
- ``search``       finding conversations by every word of a query
- ``assignments``  who on the team looks after which conversation
"""
