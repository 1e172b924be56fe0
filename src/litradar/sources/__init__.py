"""Sources turn an outside format into `Paper` records; they never write to the store."""
