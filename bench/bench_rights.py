"""Data-subject requests on the demo data: time from request to answer, through the real CLI (record
the request, run the Dagster job on a DAGSTER_HOME instance, print the outcome).

    python -m bench.bench_rights                      # demo inbox, seed 7, the demo's data subject
    python -m bench.bench_rights --messages 250000    # plus one generated chat of that many messages

The data folder is prepared by the nightly job (ingest, and scanning etc. as far as they are wired in),
then ``o3-governance request access`` and ``request erasure`` are timed. Prints counts only.
"""
from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=0, help="also ingest a generated chat of this many messages")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home = root / "dagster_home"
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
        os.environ.update({"O3_DATA_DIR": str(root / "data"), "DAGSTER_HOME": str(home), "O3_SUBJECT_KEY": "bench"})
        from o3_governance import cli, settings
        from o3_governance.storage.layout import DataLayout
        from o3_governance.demo import people, write_demo_inbox

        import dagster as dg
        import yaml

        directory = root / "directory.yaml"
        directory.write_text(yaml.safe_dump([{"name": n, "phone": p} for n, p in people.staff_directory().items()]),
                             encoding="utf-8")
        os.environ["O3_DIRECTORY_FILE"] = str(directory)
        layout = DataLayout(settings.load().data_dir).ensure()
        write_demo_inbox(layout.inbox, seed=7)
        if args.messages:
            from o3_governance.demo import generate_bench_export

            generate_bench_export(layout.inbox / "WhatsApp Chat with Bench Werf.txt", n_messages=args.messages, seed=1)

        from o3_governance.definitions import defs

        t0 = time.perf_counter()
        with dg.DagsterInstance.get() as instance:
            nightly = defs.get_job_def("nightly_governance").execute_in_process(instance=instance, raise_on_error=False)
        from o3_governance.storage import warehouse

        with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
            total = con.execute("SELECT count(*) FROM messages").fetchone()[0]
        print(f"nightly run on the demo inbox: {time.perf_counter() - t0:.1f} s (success: {nightly.success}); "
              f"{total:,} messages in the warehouse")

        subject = people.SUBJECT
        for kind, rid in (("access", "BENCH-ACC-1"), ("erasure", "BENCH-ERA-1")):
            out = io.StringIO()
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(out):
                code = cli.main(["request", kind, "--request-id", rid, "--subject-phone", subject.phone,
                                 "--subject-name", subject.name, "--subject-email", subject.email])
            elapsed = time.perf_counter() - t0
            counts = [line.strip() for line in out.getvalue().splitlines()
                      if any(w in line for w in ("messages", "media", "hold", "redact"))]
            print(f"request {kind}: exit {code}, {elapsed:.2f} s from request to answer (Dagster run included)")
            for line in counts:
                print(f"    {line}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
