"""The § 48a key figures: one module per family (k1, k2, k3), built by the engine."""

from amip.kennzahlen import k1, k2, k3

FIGURES = (*k1.FIGURES, *k2.FIGURES, *k3.FIGURES)
FIGURE_IDS = tuple(f.id for f in FIGURES)
