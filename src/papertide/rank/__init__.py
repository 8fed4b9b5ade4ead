"""Ranking: trending scores and feed ordering."""
