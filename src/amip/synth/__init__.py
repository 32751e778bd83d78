"""A synthetic job center you can believe: a calibrated microsimulation of SGB II receipt.

``synthesize`` (in :mod:`amip.synth.generate`) simulates the Bedarfsgemeinschaften and persons of a
preset (``presets/<name>.toml``) month by month and writes every table of the data contract.
"""

__all__ = ["synthesize", "calibration_report"]


def __getattr__(name):
    if name in __all__:
        from amip.synth import generate

        return getattr(generate, name)
    raise AttributeError(name)
