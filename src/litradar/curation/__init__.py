"""The list and the taxonomy: their formats, edits, clone, and match to the store."""
