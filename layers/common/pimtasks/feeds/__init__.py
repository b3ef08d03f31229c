"""Feeds (manual §3.4): versions built by feed runs, served to channels by feed token."""
