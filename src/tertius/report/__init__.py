"""Reports rendered from saved results: console tables and self-contained HTML."""
