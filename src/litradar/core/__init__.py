"""The data types and plumbing every layer uses: no litradar import but each other."""
