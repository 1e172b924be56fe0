"""The store (the one module that writes state), its merge, and the indexes."""
