"""Background jobs: which exist and when they run (`specs`), the huey queue and its workers
(`queue`), and the run history and cross-node leases kept in the shared database (`runs`)."""
