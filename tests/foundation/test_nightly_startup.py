"""What loading the Dagster definitions costs every run (issue 16): the nightly job's process imports
the definitions, so modules only a data-subject request or the report server uses load when one runs."""
import subprocess
import sys

# Imported only by what uses them: a request's op (OpenCV via the extractors), the report server.
NOT_AT_LOAD = ("cv2", "o3_governance.rights.service", "o3_governance.attachments.extract", "uvicorn",
               "o3_governance.reporting.server", "presidio_analyzer", "spacy",
               "pyarrow", "numpy")  # pyarrow: imported where a table is built or read as Arrow (0.1 s)
PROBE = """
import sys
import o3_governance.definitions
print("LOADED:" + ",".join(m for m in {mods!r} if m in sys.modules))
"""


def test_loading_the_definitions_leaves_request_and_server_modules_unloaded():
    out = subprocess.run([sys.executable, "-c", PROBE.format(mods=NOT_AT_LOAD)], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "LOADED:"
