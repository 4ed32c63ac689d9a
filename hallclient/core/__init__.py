"""Pure domain: no Qt, no SQLite, no HTTP. Everything here is plain data and functions."""
