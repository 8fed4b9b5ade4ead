"""The top floor: every HTTP route (pages with JSON twins, the JSON API, feeds, subscriptions,
accounts, moderation, health and metrics), templates and static files; see docs/web.md."""
