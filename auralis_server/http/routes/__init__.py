"""HTTP routes, one module per resource; each exports ``routes`` for the app."""
