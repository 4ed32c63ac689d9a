"""``hallclient admin ...``: commands for IT staff. No Qt needed (except a PDF report).

One module per kind of work: ``status`` (verify-log, status, cases), ``backup`` (backup,
restore), ``sync_now``, ``joining`` (set-device, join-hall), ``report``, ``bundles``
(bundle-key, export-bundle, import-bundle), ``configure`` (add-clerk, import-hall, config);
``parser`` declares the command line.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["run"]


def _commands() -> dict[str, Callable[[argparse.Namespace, Path], int]]:
    from . import backup, bundles, configure, handover, joining, report, status, sync_now

    return {
        "verify-log": status.run_verify_log,
        "status": status.run_status,
        "cases": status.run_cases,
        "backup": backup.run_backup,
        "restore": backup.run_restore,
        "add-clerk": configure.run_add_clerk,
        "sync-now": sync_now.run_sync_now,
        "handover": handover.run_handover,
        "set-device": joining.run_set_device,
        "join-hall": joining.run_join_hall,
        "report": report.run_report,
        "bundle-key": bundles.run_bundle_key,
        "export-bundle": bundles.run_export_bundle,
        "import-bundle": bundles.run_import_bundle,
        "import-hall": configure.run_import_hall,
        "import-appointments": configure.run_import_appointments,
        "config": configure.run_config,
    }


def run(args: argparse.Namespace, data_dir: Path) -> int:
    # imported here, not above: every start builds the parser (cli.py), few run a command
    from hallclient.config import ConfigError
    from hallclient.core.tickets import QueueError
    from hallclient.store.db import StoreError
    from hallclient.store.hall_repo import HallConfigError

    # the commands print config problems themselves, in full: not a second time as log lines
    config_log = logging.getLogger("hallclient.config")
    config_log.propagate = False
    config_log.addHandler(silent := logging.NullHandler())
    try:
        return _commands()[args.admin_command](args, data_dir)
    except (StoreError, QueueError) as exc:
        print(exc.message, file=sys.stderr)
        return 3
    except (HallConfigError, ConfigError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        config_log.removeHandler(silent)
        config_log.propagate = True
