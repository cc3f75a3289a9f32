"""The nightly benchmark's memory reading: a process tree's resident memory and its proportional memory
(pages shared after fork counted once), the figure issue 16's 2 GB target is read against."""
import os
import subprocess
import sys
import time

from bench.bench_nightly import _tree_memory

HOLD = "import sys, time; b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096]); print('ok', flush=True); time.sleep(30)"


def test_the_tree_holds_what_a_child_allocated_and_shared_pages_count_once():
    before_rss, before_pss = _tree_memory(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", HOLD], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ok"
        rss, pss = _tree_memory(os.getpid())
        assert rss - before_rss >= 200 * 2**20          # the child's 200 MB are part of the tree
        assert pss - before_pss >= 190 * 2**20          # private pages: proportional = resident
        assert 0 < pss <= rss
    finally:
        child.kill()
        child.wait()


def test_a_process_that_is_gone_counts_nothing():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    time.sleep(0.05)
    assert _tree_memory(child.pid) == (0, 0)
