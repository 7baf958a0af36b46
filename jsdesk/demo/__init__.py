"""Synthetic demo data: participations with Tenor test numbers, for pilots and benchmarks."""

from jsdesk.demo.records import DemoParticipation, generate_participations, generate_records

__all__ = ["DemoParticipation", "generate_participations", "generate_records"]
