"""jsdesk.rules."""
