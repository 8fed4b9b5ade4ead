"""Email subscriptions, digests and alerts: who gets what (compose), how it looks (render), and
delivery that never sends twice nor skips anyone (send), on a per-recipient schedule."""
