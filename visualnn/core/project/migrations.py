"""Project file migrations: a chain of functions, each lifting a document by one format version.

Adding format version 2 means: bump ``FORMAT_VERSION`` in ``visualnn.core.project``, write
``_v1_to_v2(data) -> data`` here, register it as ``MIGRATIONS[1]``, and add a v2 fixture file to
``tests/core/fixtures/``. Old fixtures must keep loading.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

Migration = Callable[[dict[str, Any]], dict[str, Any]]

MIGRATIONS: dict[int, Migration] = {
    # 1: _v1_to_v2,  (none yet: version 1 is the first and current format)
}
"""``MIGRATIONS[n]`` turns a version-``n`` document into a version-``n + 1`` one."""


class MigrationError(ValueError):
    """No path leads from a document's format version to the current one."""


def migrate(
    data: dict[str, Any],
    target: int,
    migrations: Mapping[int, Migration] | None = None,
) -> dict[str, Any]:
    """Lift ``data`` (a parsed project document) to format version ``target``, one step at a time.

    The input is not modified. Each step must return a document whose ``format_version`` is
    one higher; the chain stops with :class:`MigrationError` when a step is missing.
    """
    chain = MIGRATIONS if migrations is None else migrations
    doc = copy.deepcopy(data)
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise MigrationError(f"format_version must be an integer; received {version!r}.")
    while version < target:
        step = chain.get(version)
        if step is None:
            raise MigrationError(f"There is no migration from format version {version} to {version + 1}.")
        doc = step(doc)
        doc["format_version"] = version + 1
        version += 1
    return doc
