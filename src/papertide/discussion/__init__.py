"""Discussion under papers: comment threads and reply notifications by email."""
