"""Ingestion: sources (JSONL snapshots, Hugging Face daily papers, arXiv OAI-PMH and API) and
the pipeline that upserts what they yield into the database."""
