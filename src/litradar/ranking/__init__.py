"""Relevance and placement models: fitting, scoring, measuring and saving them."""
