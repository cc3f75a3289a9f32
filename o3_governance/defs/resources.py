"""What the Dagster shell hands its assets and ops: the run's settings and its data folder.

``GovernanceResource`` is declared by every asset and op that reads or writes data. Its fields are
left empty in production, where each value comes from its ``O3_*`` variable through
:mod:`o3_governance.settings` (the one reader of the environment); tests and the UI's launchpad set
them instead. ``writes_warehouse`` holds the data folder's writer lock around an asset or op body, with
the configured DuckDB memory limit, lock waits and audit key and anchor for every connection opened in
it, after cleaning ``tmp/`` of our own leftovers (``stores.clean_tmp``), and makes the data folder
owner-only before and after the body (umask 077 is set when the resource starts)."""
from __future__ import annotations

import contextlib
import functools
import inspect
import time
from typing import Optional

import dagster as dg

from o3_governance import backup, settings as settings_module
from o3_governance.storage.layout import DataLayout
from o3_governance.storage import locking, private, stores, warehouse


class GovernanceResource(dg.ConfigurableResource):
    """The settings of a run. Empty fields take the environment's value (``O3_DATA_DIR`` …)."""

    data_dir: Optional[str] = None
    policy_file: Optional[str] = None
    as_of: Optional[str] = None
    directory_file: Optional[str] = None

    def settings(self) -> settings_module.Settings:
        return settings_module.override(settings_module.load(), {
            "O3_DATA_DIR": self.data_dir, "O3_POLICY_FILE": self.policy_file, "O3_AS_OF": self.as_of,
            "O3_DIRECTORY_FILE": self.directory_file})

    def layout(self) -> DataLayout:
        return DataLayout(self.settings().data_dir)

    def setup_for_execution(self, context) -> None:
        """When a run, a step's process or a sensor tick starts: umask 077 before anything is created.
        (No teardown: that would make this a context-manager resource, which sensors cannot open.)"""
        private.private_umask()

    @contextlib.contextmanager
    def warehouse_defaults(self):
        """For the block, connections and locks that are given nothing use the configured memory limit
        and waits (``O3_DUCKDB_MEMORY``, ``O3_LOCK_WAIT_SECONDS``, ``O3_READ_WAIT_SECONDS``), and the
        audit chain its key and anchor file (``O3_AUDIT_KEY``, ``O3_AUDIT_ANCHOR``), and purges their
        ledger (``O3_LEDGER_DIR``, sealed with ``O3_BACKUP_KEY_FILE``)."""
        conf = self.settings()
        with warehouse.configured(memory_limit=conf.duckdb_memory, lock_wait_seconds=conf.lock_wait_seconds,
                                  read_wait_seconds=conf.read_wait_seconds, audit_key=conf.audit_key,
                                  audit_anchor=conf.audit_anchor,
                                  purge_ledger=backup.ledger_of(conf.ledger_dir, conf.backup_key_file)):
            yield


RESOURCE_KEY = "governance"
# The concurrency pool of ops that write warehouse.duckdb on request (deletion lists, data-subject
# requests); deploy/dagster.yaml limits every pool to one slot. The file lock stays the guarantee.
DUCKDB_WRITE_POOL = "duckdb_write"


def _make_private(governance: GovernanceResource) -> None:
    """What is open to group or others under the data folder is made owner-only; one line in the log
    when anything changed (counts only)."""
    note = private.make_private(governance.settings().data_dir).note()
    if note:
        dg.get_dagster_logger().info(note)


# Each walk of the data folder by make_private visits every file (about 1 ms per 100 entries: media, lake
# files, reports), and a night has seven writing steps. A step that starts less than this many seconds after
# a step of this process ended with a walk of the same folder does not walk it first: what our processes
# write is owner-only by their umask, and what someone else drops in meanwhile is fixed by the walk at the
# end of the step. A step of another run, or one after a pause, walks before and after as ever.
PRIVATE_FRESH_SECONDS = 60.0
_private_walked_at: dict[str, float] = {}


def writes_warehouse(fn):
    """Runs an asset/op body holding the writer lock of its data folder (re-entrant: a CLI run that
    launched the job holds it already). The body must take ``governance: GovernanceResource``."""
    @contextlib.contextmanager
    def lock_for(kwargs):
        governance = kwargs[RESOURCE_KEY]
        with governance.warehouse_defaults(), locking.writer_lock(governance.layout(), governance.settings().lock_wait_seconds):
            private.private_umask()
            stores.clean_tmp(governance.layout())   # every writing run starts by cleaning tmp/ of our leftovers
            root = str(governance.settings().data_dir)
            walked = _private_walked_at.pop(root, None)
            if walked is None or time.monotonic() - walked > PRIVATE_FRESH_SECONDS:
                _make_private(governance)
            try:
                yield
            finally:
                _make_private(governance)  # files moved in from the inbox keep the mode they came with
                _private_walked_at[root] = time.monotonic()

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def generator(*args, **kwargs):
            with lock_for(kwargs):
                yield from fn(*args, **kwargs)
        return generator

    @functools.wraps(fn)
    def plain(*args, **kwargs):
        with lock_for(kwargs):
            return fn(*args, **kwargs)
    return plain


defs = dg.Definitions(resources={RESOURCE_KEY: GovernanceResource()})
