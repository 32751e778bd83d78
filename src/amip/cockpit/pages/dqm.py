"""Datenqualität: finding rates per rule, team and month; the task list of findings."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
