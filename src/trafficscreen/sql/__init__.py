"""SQL backends (placeholder while being written)."""
