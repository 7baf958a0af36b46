"""jsdesk.storage."""
