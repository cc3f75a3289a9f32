import pytest

from o3_governance.scanning import evaluation
from o3_governance.scanning.worker import local_scanner


@pytest.fixture(scope="session")
def scanner():
    """The scanner of the evaluation sets (their known people), built once for every scanning test that reads text."""
    scanner, _ = local_scanner(evaluation.known_people())
    return scanner
