"""Budget: EGL plan per instrument and VK, allocation Y−1 against estimate Y, spending."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
