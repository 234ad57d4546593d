"""The recycle bin: deleted records kept for 30 days, restorable with their children and files."""
