"""jsdesk.forms."""
