"""Only what pyproject.toml cannot say: every package under src/ is found, and the top-level
flows/ folder joins them as litradar.flows (setuptools' find looks in one place)."""

from setuptools import find_packages, setup

setup(packages=[*find_packages("src", include=["litradar", "litradar.*"]), "litradar.flows"])
