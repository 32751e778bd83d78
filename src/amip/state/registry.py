"""Every state table: importing this module registers all models on ``Base.metadata``.

The application's own tables (users, sessions, audit log) are in ``amip.state.models``; the
domain packages keep theirs beside their logic. Alembic (``migrations/env.py``) and the schema
test compare the migrations against this complete metadata.
"""

from __future__ import annotations

import amip.dqm.models  # noqa: F401
import amip.planning.models  # noqa: F401
import amip.reports.models  # noqa: F401
import amip.worklists.models  # noqa: F401
from amip.state.models import Base

__all__ = ["Base"]
