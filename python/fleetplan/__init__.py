"""fleetplan's checkpoints for offline analysis: ``fleetplan.read(PATH)``.

A plan checkpoint gives pandas DataFrames ``hosts``, ``vms``, ``moves``, ``waves`` and
``unresolved``; a simulator checkpoint gives ``intervals`` (and ``host_util``, ``hosts``,
``vms``); both give ``summary`` (a dict) and ``attrs``. Units per column are in
``df.attrs["units"]``, taken from the file. Needs h5py, numpy and pandas (Debian:
python3-h5py python3-numpy python3-pandas); use with ``PYTHONPATH=python``.
``fleetplan.figures`` draws them (matplotlib) and ``python3 -m fleetplan.report`` (what
``fleetplan report`` runs) writes one self-contained HTML page from several checkpoints.
"""
from fleetplan.checkpoint import (CheckpointError, PlanCheckpoint, SimCheckpoint,  # noqa: F401
                                  read)

__all__ = ["read", "CheckpointError", "PlanCheckpoint", "SimCheckpoint"]
