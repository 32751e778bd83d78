"""Forecasts of ELB, LZB, integrations, LLU and LUH per job center and sex, chosen by backtest."""
