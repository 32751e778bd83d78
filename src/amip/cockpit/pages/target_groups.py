"""Zielgruppen: U25, single parents, severely disabled, refugees, no vocational qualification."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
