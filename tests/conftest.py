import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from state_db import factory, pg_database, postgres_server, state_url  # noqa: E402,F401
