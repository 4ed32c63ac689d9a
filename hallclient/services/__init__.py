"""Use cases the UI calls. QObjects with past-tense signals; no widgets imported here."""
