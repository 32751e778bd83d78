"""K3 family (§ 6 VO): Vermeidung von langfristigem Leistungsbezug."""

from amip.kennzahlen.formulas import AveragedRate, ChangeRate, Figure, Quota, Share

FIGURES = (
    Figure("K3", "Veränderung des Bestands an Langzeitleistungsbeziehenden", ChangeRate("lzb", ok="lzb_ok")),
    # Integrations of persons LZB at ST(m-1) / mean LZB stock over M-11..M.
    Figure(
        "K3E1",
        "Integrationsquote der Langzeitleistungsbeziehenden",
        Quota("int_lzb", "lzb", num_ok="int_lzb_ok", den_ok="lzb_ok"),
    ),
    # LZB at ST(M) in an active measure at ST(M) / LZB at ST(M).
    Figure("K3E2", "Aktivierungsquote der Langzeitleistungsbeziehenden", Share("lzb_active", "lzb", ok="lzb_ok")),
    # Σ LZB entries(m) / Σ LZB(m), and Σ LZB exits(m) / Σ LZB(m-1), over M-11..M; a move between
    # job centers while LZB is neither (flows.py).
    Figure(
        "K3E3",
        "Durchschnittliche Zugangsrate der Langzeitleistungsbeziehenden",
        AveragedRate("lzb_entries", "lzb", ok="lzb_flow_ok"),
    ),
    Figure(
        "K3E4",
        "Durchschnittliche Abgangsrate der Langzeitleistungsbeziehenden",
        AveragedRate("lzb_exits", "lzb", ok="lzb_flow_ok", den_lag=1),
    ),
)
