"""Data-quality management: declared rules over the microdata and the app state, findings as tasks."""
