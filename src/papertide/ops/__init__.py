"""Operations: database and queue probes, Prometheus metrics, request size limits, JSON logs."""
