"""Intensivbetreuung: candidates, places taken, meeting records and reminders; team status."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
