"""K2 family (§ 5 VO): Verbesserung der Integration in Erwerbstätigkeit."""

from amip.kennzahlen.formulas import Figure, Quota

FIGURES = (
    # Sum of integrations over M-11..M / mean ELB stock over M-11..M.
    Figure("K2", "Integrationsquote", Quota("int", "stock", num_ok="int_ok")),
    Figure("K2E1", "Quote der Eintritte in geringfügige Beschäftigung", Quota("gb", "stock", num_ok="int_ok")),
    Figure(
        "K2E2", "Quote der Eintritte in öffentlich geförderte Beschäftigung", Quota("pub", "stock", num_ok="int_ok")
    ),
    # svb integrations in M-17..M-6 that are followed by svb employment at ST(m+1)..ST(m+6),
    # over all svb integrations in those months; M itself must be covered.
    Figure(
        "K2E3",
        "Kontinuierliche Beschäftigung nach Integration",
        Quota("svb_cont", "svb_int", num_ok="int_ok", first=17, last=6, den_is_sum=True, also_ok_now="cov"),
    ),
    # Integrations of persons single parent at ST(m-1) / mean of single-parent ELB.
    Figure("K2E4", "Integrationsquote der Alleinerziehenden", Quota("int_sp", "sp", num_ok="int_ok")),
)
