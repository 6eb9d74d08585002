"""The staff tool ``hotline`` (click, never Flask). Holds the centre's private key.

- ``cli``          the command line
- ``store``        the sealed local store
- ``keyring``      the staff's keys
- ``reader``       opening envelopes from a store or a copied inbox
- ``conversation`` a tip with its follow-ups and replies
- ``pull``         pulling tips from the staff API
- ``outbox``       sending replies through the staff API
- ``exports``      JSON, CSV and HTML exports
- ``terminal``     safe terminal output
- ``screen``       the layout of lists and tips at the terminal
- ``shortid``      short ids for tips
- ``prompt``       questions at the terminal
- ``editor``       a reply's draft that never outlives it
- ``agent``        the key agent: unlock once per working session (``hotline lock``)
- ``private``      folders and files only their owner may open (store, keys, token)
- ``passphrase``   judging the strength of staff passphrases (zxcvbn)
- ``deskdb``       the desk's database beside the store: accounts, audit trail
- ``accounts``     staff accounts: own passphrases that open the centre's keys
- ``trail``        the audit trail: who did what to which tip, and when
"""
