"""jsdesk: skrivebordsprogram for rapportering til Jobbsjanseregisteret."""

__version__ = "0.1.0"
