"""The outbox engine: uploads cases, blobs and evaluations off the GUI thread."""
