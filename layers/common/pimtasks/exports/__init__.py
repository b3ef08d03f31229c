"""Exports: catalog records out to files (XLSX, CSV, JSON, ETIM xChange) by an export layout."""
