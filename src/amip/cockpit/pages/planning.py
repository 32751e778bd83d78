"""Zielplanung: plans per year, job center, team and sex; bottom-up team plans, versions."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
