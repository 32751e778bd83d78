"""Every state table: importing this module registers all models on ``Base.metadata``.

The application's own tables (users, sessions, audit log) are in ``amip.state.models``; the
domain packages keep theirs beside their logic. Alembic (``env.py`` beside this module) and the
schema test compare the migrations against this complete metadata. This is a composition root
(listed with the entry points in docs/architecture.md): it imports the domain packages' models,
which the application state below them must not.
"""

from __future__ import annotations

import amip.dqm.models  # noqa: F401
import amip.planning.models  # noqa: F401
import amip.reports.models  # noqa: F401
import amip.worklists.models  # noqa: F401
from amip.state.models import Base

__all__ = ["Base"]
