"""Prefect flows: they compose litradar's steps as tasks and hold no logic of their own."""
