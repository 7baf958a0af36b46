"""Synthetic demo data: participations with Tenor test numbers, for pilots and benchmarks."""

from jsdesk.demo.synthetic import DemoParticipation, generate_participations, generate_records

__all__ = ["DemoParticipation", "generate_participations", "generate_records"]
