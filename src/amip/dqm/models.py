"""State tables of this package (SQLAlchemy models on ``amip.state.models.Base``).

Registered through ``amip.state.registry``; the schema is created by the migration in
``amip/state/migrations/versions/`` that belongs to this package.
"""

from __future__ import annotations

from amip.state.models import Base  # noqa: F401
