"""Zielplanung, Zielnachhaltung and budget: plans per year, job center, team and sex; tracking."""
