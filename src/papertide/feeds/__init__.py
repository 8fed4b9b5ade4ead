"""RSS 2.0 and Atom rendering for the daily feed, trending, categories, searches and collections,
and the unguessable tokens of private feeds."""
