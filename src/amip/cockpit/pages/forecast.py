"""Prognose: forecasts of ELB, LZB, integrations, LLU and LUH with fan charts (80 % / 95 %)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
