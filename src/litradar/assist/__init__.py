"""LLM assistance that helps without being trusted: short names, summaries, second opinions."""
