"""Zielnachhaltung: actual against plan each month, year-to-date progress, status."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
