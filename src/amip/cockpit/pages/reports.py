"""Berichte: the programme document and the monthly report as downloads; editable chapter texts."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
