"""SQLite storage (through sqlite-utils on sqlite3). Every SQL statement lives here."""
