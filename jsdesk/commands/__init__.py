"""jsdesk.commands."""
