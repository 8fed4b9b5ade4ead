"""Ranking: trending scores and recommendations."""
