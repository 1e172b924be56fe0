"""The weekly digest: what it holds, its renderings, and its generations on disk."""
