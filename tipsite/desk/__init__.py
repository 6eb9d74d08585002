"""The staff desk: the hotline team reads and answers tips in a browser (``hotline desk``).

Built on the staff tool's service layer; never imports the public site. It holds
opened tips and the keys that open them in memory only, for logged-in staff.

- ``config``       where it listens and for how long a session lives, checked at start
- ``app``          the Flask application and the safety headers of every page
- ``state``        what one running desk holds: store, accounts, sessions, throttle
- ``sessions``     logged-in staff and their keys, in memory, locked when idle
- ``throttle``     slowing login attempts per account and per client
- ``opened``       the store's conversations, opened with a session's keys
- ``views``        the pages: log in, inbox, a conversation, log out
- ``actions``      what staff change: read, handled, notes, replies, each recorded
- ``intake``       pulling from the site on a button and a schedule; a swapped key alarms
- ``words``        the desk in Danish and English; tip values into words
- ``serve``        gunicorn in one process, with TLS on the network
"""
