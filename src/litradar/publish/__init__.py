"""Publishing a digest: by email, and as a pull request against the list."""
