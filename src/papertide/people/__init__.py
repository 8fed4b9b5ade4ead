"""People: generated avatars, profiles and their counts, and author claims on papers."""
