"""Published figures: the § 48a figures as the BMAS publishes them for many job centers, and the
``jobcenters`` table (names, Land, kind, Vergleichstyp), kept in their own file beside the
warehouse (``<warehouse stem>.published.duckdb``), never mixed with the figures amip computes
from the job center's own microdata (docs/comparison.md)."""
