"""Many cockpit requests at once on the SQLite state database: resolving and touching sessions
from parallel threads must never fail with "database is locked" (the load benchmark once did)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from amip.state import add_user, create_session, open_state
from amip.state.sessions import needs_touch, resolve_session, touch_session

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def test_parallel_session_refreshes_do_not_lock(tmp_path):
    factory = open_state(url=f"sqlite:///{tmp_path / 'state.sqlite'}")
    tokens = []
    with factory.begin() as db:
        for i in range(8):
            user = add_user(db, f"user{i}", "controlling", "ein langes Passwort 123")
            tokens.append(create_session(db, user, now=T0, ttl=timedelta(days=2))[0])

    def request(k: int) -> bool:
        # Every request comes two minutes after the previous one of its session, so each one
        # writes last_seen: the worst case for the state database.
        token, now = tokens[k % len(tokens)], T0 + timedelta(minutes=2 * (k // len(tokens) + 1))
        with factory.begin() as db:
            found = resolve_session(db, token, now=now, idle=timedelta(hours=12), touch=False)
        assert found is not None
        if needs_touch(found, now):
            with factory.begin() as db:
                touch_session(db, found.id, now)
        return True

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert all(pool.map(request, range(400)))
    with factory.begin() as db:
        last = T0 + timedelta(minutes=2 * (400 // len(tokens)))
        for token in tokens:  # every session carries the time of its last request
            assert resolve_session(db, token, now=last, touch=False).last_seen == last
    factory.kw["bind"].dispose()
