"""K1 family (§ 4 VO): Verringerung der Hilfebedürftigkeit."""

from amip.kennzahlen.formulas import AveragedRate, ChangeRate, Figure

FIGURES = (
    Figure("K1", "Veränderung der Summe der Leistungen zum Lebensunterhalt", ChangeRate("llu"), person_based=False),
    Figure(
        "K1E1", "Veränderung der Summe der Leistungen für Unterkunft und Heizung", ChangeRate("luh"), person_based=False
    ),
    Figure("K1E2", "Veränderung der Zahl der erwerbsfähigen Leistungsberechtigten", ChangeRate("stock")),
    # Σ entries(m) / Σ Stock(m) over M-11..M (stock-weighted); flows need m and m-1 covered.
    Figure("K1E3", "Durchschnittliche Zugangsrate der ELB", AveragedRate("entries", "stock", ok="flow_ok")),
    # Σ exits(m) / Σ Stock(m-1) over M-11..M.
    Figure("K1E4", "Durchschnittliche Abgangsrate der ELB", AveragedRate("exits", "stock", ok="flow_ok", den_lag=1)),
)
