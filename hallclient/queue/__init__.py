"""Queue backends behind one interface (QueueBackend): LocalQueue on this PC's SQLite."""
