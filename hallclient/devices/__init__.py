"""Counter hardware: speech and chime, ticket printer (more devices join in later issues)."""
