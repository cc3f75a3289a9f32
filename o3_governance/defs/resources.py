"""What the Dagster shell hands its assets and ops: the run's settings and its data folder.

``GovernanceResource`` is declared by every asset and op that reads or writes data. Its fields are
left empty in production, where each value comes from its ``O3_*`` variable through
:mod:`o3_governance.settings` (the one reader of the environment); tests and the UI's launchpad set
them instead. ``writes_warehouse`` holds the data folder's writer lock around an asset or op body, with
the configured DuckDB memory limit and lock waits for every connection opened in it, after cleaning
``tmp/`` of our own leftovers (``stores.clean_tmp``)."""
from __future__ import annotations

import contextlib
import functools
import inspect
from typing import Optional

import dagster as dg

from o3_governance import settings as settings_module
from o3_governance.storage.layout import DataLayout
from o3_governance.storage import locking, stores, warehouse


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

    @contextlib.contextmanager
    def warehouse_defaults(self):
        """For the block, connections and locks that are given nothing use the configured memory limit
        and waits (``O3_DUCKDB_MEMORY``, ``O3_LOCK_WAIT_SECONDS``, ``O3_READ_WAIT_SECONDS``)."""
        conf = self.settings()
        with warehouse.configured(memory_limit=conf.duckdb_memory, lock_wait_seconds=conf.lock_wait_seconds,
                                  read_wait_seconds=conf.read_wait_seconds):
            yield


RESOURCE_KEY = "governance"


def writes_warehouse(fn):
    """Runs an asset/op body holding the writer lock of its data folder (re-entrant: a CLI run that
    launched the job holds it already). The body must take ``governance: GovernanceResource``."""
    @contextlib.contextmanager
    def lock_for(kwargs):
        governance = kwargs[RESOURCE_KEY]
        with governance.warehouse_defaults(), locking.writer_lock(governance.layout(), governance.settings().lock_wait_seconds):
            stores.clean_tmp(governance.layout())   # every writing run starts by cleaning tmp/ of our leftovers
            yield

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
