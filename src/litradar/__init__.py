"""litradar: keeps a research field's awesome list up to date."""

__version__ = "0.1.0"
