"""Printed documents: HTML templates -> QTextDocument -> printer or PDF, with Code128."""
