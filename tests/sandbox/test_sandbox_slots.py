"""Uid leases: exclusive across leasers, free again on release; the per-uid kill sweep."""

import os
import subprocess
import time

import pytest

from verifiers.sandbox.slots import NoFreeUid, UidLeaser, kill_uid, uid_processes

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="leasing uids needs root")


def test_leases_are_exclusive_and_released(tmp_path):
    a = UidLeaser(base=1_950_000_000, count=2, lease_dir=str(tmp_path))
    b = UidLeaser(base=1_950_000_000, count=2, lease_dir=str(tmp_path))
    first, second = a.lease(), b.lease()
    assert first.uid != second.uid
    with pytest.raises(NoFreeUid):
        b.lease()
    first.release()
    assert a.lease().uid == first.uid
    second.release()


def test_kill_uid_reaches_orphans_in_their_own_sessions():
    uid = 1_950_000_100
    # two sleepers that leave the shell's session and are orphaned when the shell exits
    subprocess.run(["/bin/sh", "-c", "setsid sleep 60 & setsid sleep 60 &"], user=uid, group=uid,
                   extra_groups=[], check=True)
    deadline = time.monotonic() + 5
    while len(uid_processes(uid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(uid_processes(uid)) == 2
    assert kill_uid(uid)
    assert uid_processes(uid) == []
