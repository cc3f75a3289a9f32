"""Demo and benchmark data: fictional O3 Group BV chats in the real export formats, with planted
personal data (``PLANTED``) for the scanner, retention and data-subject-request tests."""
from o3_governance.demo.bench import generate_bench_export, generate_bench_messages
from o3_governance.demo.inbox import CHATS, DemoArchive, DemoMessage, build_demo, demo_manifest, write_demo_inbox
from o3_governance.demo.people import DEMO_PEOPLE, SUBJECT, Person, staff_directory
from o3_governance.demo.planted import PLANTED, SENTENCES, PlantedSentence

__all__ = ["CHATS", "DEMO_PEOPLE", "DemoArchive", "DemoMessage", "PLANTED", "Person", "PlantedSentence", "SENTENCES", "SUBJECT",
           "build_demo", "demo_manifest", "generate_bench_export", "generate_bench_messages", "staff_directory",
           "write_demo_inbox"]
