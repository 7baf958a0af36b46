"""jsdesk.domain."""
