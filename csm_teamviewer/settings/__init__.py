"""Settings, all from the environment (and a ``.env`` file at the root), one module per topic.

Every variable has an embedded default that serves one machine (SQLite under ``var/``, a
broker that needs no server, console email, the built-in TeamViewer sandbox). ``DEBUG=0``
switches to production strictness: the secrets and hosts must then be given, or start-up
fails naming the missing variable. The names are the public interface (see README), and
``.env.example`` lists every one (tests/test_env_example.py keeps the two in step).
"""

from .background import *  # noqa: F403
from .csm import *  # noqa: F403
from .environment import *  # noqa: F403
from .journal import *  # noqa: F403
from .operations import *  # noqa: F403
from .security import *  # noqa: F403
from .teamviewer import *  # noqa: F403
from .web import *  # noqa: F403
