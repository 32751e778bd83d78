"""The contract table ``jobcenters`` of a synthetic data set: name, Land, kind, Vergleichstyp.

Nothing here draws from a random generator: the table follows from the preset (and, for a
regional preset, from the job centers :func:`amip.synth.regions.jobcenters` derived), so adding it
leaves every other table of a seed byte for byte as it was.

- A single-job-center preset (``elbe-elster.toml``) names its job center in ``[meta]`` (``name``,
  ``jobcenter_id``, ``land``, ``kind``, ``region``) and the job center its moved-in customers come
  from in ``[moves]`` (``from_jobcenter_id``, ``from_name``, ``from_land``, ``from_kind``,
  ``from_region``); that row is written only when the data hold spells there.
- A regional preset (``brandenburg.toml``, ``germany.toml``) has no names: each job center gets a
  readable synthetic one, ``Jobcenter <Land> <number> (Stadt|Landkreis, synthetisch)``, its Land
  from the state code, the kind ``zkT`` for every fourth job center of a state (04, 08, …; about a
  quarter, as the 104 of 405 zugelassene kommunale Träger) and ``gE`` otherwise.

The Vergleichstyp follows from the regional kind the presets already have (settlement structure
and east/west; docs/synthetic.md, docs/decisions.md 69). The IAB's typology (15 types since 2014)
groups job centers by the labour market, the SGB II rate and the settlement structure; the
synthetic data know only the last two dimensions, so the assignment is a plausible stand-in, not
the real grouping:

| regional kind | Vergleichstyp |
|---|---|
| west_rural | Ia |
| east_rural | Ib |
| west_urban | IIa |
| east_urban | IIb |
| west_metro | IIIa |
| east_metro | IIIb |
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

VERGLEICHSTYP = {
    "west_rural": "Ia",
    "east_rural": "Ib",
    "west_urban": "IIa",
    "east_urban": "IIb",
    "west_metro": "IIIa",
    "east_metro": "IIIb",
}
LAENDER = {
    "BW": "Baden-Württemberg",
    "BY": "Bayern",
    "BE": "Berlin",
    "BB": "Brandenburg",
    "HB": "Bremen",
    "HH": "Hamburg",
    "HE": "Hessen",
    "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen",
    "NW": "Nordrhein-Westfalen",
    "RP": "Rheinland-Pfalz",
    "SL": "Saarland",
    "SN": "Sachsen",
    "ST": "Sachsen-Anhalt",
    "SH": "Schleswig-Holstein",
    "TH": "Thüringen",
}
COLUMNS = ("jobcenter_id", "name", "land", "kind", "vergleichstyp")
ZKT_EVERY = 4  # every fourth job center of a state is a zugelassener kommunaler Träger


def vergleichstyp(region: str | None) -> str | None:
    """The Vergleichstyp of a regional kind (None for an unknown or missing kind)."""
    return VERGLEICHSTYP.get(region or "")


def table(rows: Iterable[dict]) -> pa.Table:
    """The ``jobcenters`` table of ``rows`` (dicts with the contract's columns), sorted by id."""
    rows = sorted(rows, key=lambda r: r["jobcenter_id"])
    return pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in COLUMNS})


def single(params: dict, spell_jobcenters: Iterable[str]) -> pa.Table:
    """The table of a single-job-center preset: its own job center and, when ``spell_jobcenters``
    (the ids in ``elb_spells``) holds it, the one its moved-in customers come from."""
    meta = params["meta"]
    rows = [
        {
            "jobcenter_id": str(meta["jobcenter_id"]),
            "name": str(meta.get("name") or f"Jobcenter {meta['jobcenter_id']}"),
            "land": str(meta.get("land", "")) or None,
            "kind": str(meta.get("kind", "gE")),
            "vergleichstyp": vergleichstyp(meta.get("region")),
        }
    ]
    moves = params.get("moves")
    present = set(spell_jobcenters)
    if moves and str(moves.get("from_jobcenter_id")) in present:
        other = str(moves["from_jobcenter_id"])
        rows.append(
            {
                "jobcenter_id": other,
                "name": str(moves.get("from_name") or f"Jobcenter {other}"),
                "land": str(moves.get("from_land", "")) or None,
                "kind": str(moves.get("from_kind", "gE")),
                "vergleichstyp": vergleichstyp(moves.get("from_region")),
            }
        )
    return table(rows)


def regional(jcs: Iterable) -> pa.Table:
    """The table of a regional preset's job centers (:class:`amip.synth.regions.JobCenter`)."""
    rows = []
    for jc in jcs:
        land = LAENDER.get(jc.state, jc.state)
        number = jc.code[len(jc.state) :]
        place = "Landkreis" if jc.kind.endswith("rural") else "Stadt"
        rows.append(
            {
                "jobcenter_id": jc.jobcenter_id,
                "name": f"Jobcenter {land} {number} ({place}, synthetisch)",
                "land": land,
                "kind": "zkT" if int(number) % ZKT_EVERY == 0 else "gE",
                "vergleichstyp": vergleichstyp(jc.kind),
            }
        )
    return table(rows)
