"""papertide: self-hostable research-paper discovery."""
