"""The synthetic data of a fixed seed is pinned: a change to the model's draws or its tables fails here.

``amip.synth.model`` draws every random number from one stream, in a fixed order. A refactoring must
keep that order (and so the bytes of every table); a change of the model that is meant to change
the synthetic data must update these digests in the same commit, saying so in its message.

The digests were recorded with the model before it was cut into phases (issue 13) and are the same
after. The run is small (elbe-elster, seed 1, 2016 only: the simulation still starts in 2014) and
written as CSV, whose bytes do not depend on the Parquet writer's version string.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from amip.synth.generate import synthesize

PINNED = {
    "benefits.csv": "efed82bf80eb21c8b91fdd6d5d6d457b53998ee50f4f01486a4b34d873048a9d",
    "budget.csv": "ecda3e1c44bb9bc3793f46d2080a00c36b579202984396c4570f24aaae45aff9",
    "case_events.csv": "cd84ea8b1d1d9d0701ba42ca94af80d887828fbca89cf92e2c0c7d62fb16c7bd",
    "caseload.csv": "e0f9f18bc62e5569c1e836f66801d9bbb8ce1f3c10b58ae0adcc1341289389fa",
    "dataset.csv": "e684ae747d1d8c9c80433afffb7140383767d096664122e612fc2ba4f7715078",
    "elb_spells.csv": "0c1fb15baf9b28a98d45a9178a8021f32d839841cf4991d2ff0fee052b5ba11e",
    "employment_spells.csv": "d3254d2c12b3e7e1b854cc839578052f4045150f02bbe128d839bd6e7fe4a398",
    "indicators.csv": "00a545ffe188e4ff6f6d21a3c3b8d1851e7dd8bf0b31ca4e099c252dac39cfa4",
    # added with issue 16 (names and Vergleichstypen, no draws); every other digest is unchanged
    "jobcenters.csv": "f0cdb1d19240b6d7213c9bc684a8ecfaa1f9fe7604c85a1f760627fec03fe29a",
    "measures.csv": "a8975f1c83b193dc40ce718c34144315bbd7a1ca20b9fc6c72393ed35493da8c",
    "persons.csv": "fb3dc17a91c2558e6447b44e40a8b5ff75deccbc4c38c62e6b18797f4626328e",
    "prognosis.csv": "1ef2a0fca473a26f9634961ce2a6c1171824a30eb6aa44c7860748ba5e3c79e6",
    "proposals.csv": "86320ae226635aa9013d421f120f05d60bd71b821433cf413d1a29ec248acf66",
}


def test_seed_1_of_elbe_elster_gives_the_pinned_bytes(tmp_path: Path) -> None:
    counts = synthesize("elbe-elster", seed=1, out=tmp_path, fmt="csv", first="2016-01", last="2016-12")
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tmp_path.iterdir())}
    changed = sorted(name for name in PINNED if digests.get(name) != PINNED[name])
    assert set(digests) == set(PINNED)
    assert not changed, f"synthetic output changed for seed 1: {', '.join(changed)} (row counts {counts})"
