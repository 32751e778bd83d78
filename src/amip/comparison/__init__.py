"""Comparison and reconciliation with the published figures (docs/comparison.md).

- :mod:`amip.comparison.compare`: a job center's own value (from its microdata, the figure cache)
  among the members of its Vergleichstyp (from the published figures): rank, terciles, quartiles,
  the type's median and spread, Land and Germany, the gap to the type median over time, and the
  nearest neighbours on the framework conditions the published figures show.
- :mod:`amip.comparison.reconcile`: amip's figures beside the published ones for the warehouse's
  job centers, row by row, with status and a first explanation from amip's own data.
"""
