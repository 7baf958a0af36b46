"""jsdesk.submission."""
