"""RSS 2.0 and Atom feeds for the daily feed, trending, categories, searches and collections."""
