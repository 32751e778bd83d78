"""amip: steering software for German job centers (SGB II) — the § 48a key figures from a job
center's own microdata, and (in progress) planning, tracking and the yearly programme."""

__version__ = "0.1.0"
