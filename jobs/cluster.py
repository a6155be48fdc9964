"""The worker cluster as a service: stop on a signal without losing work, and recover
the jobs of dead workers within seconds.

django-q2's cluster is kept (its broker, pusher, monitor and worker pool); what changes:

- The main process reaps every ``JOB_REAP_SECONDS``: jobs whose heartbeat went stale,
  and at once those whose worker process, on this host, is gone. It does so also on
  start, so a cluster that replaces a dead one takes back that one's jobs before its
  own workers exist.
- A stop (TERM, INT or HUP to the main process; TERM to the sentinel) stops the pusher,
  tells each worker to hand back its job (``runner.Shutdown``), waits for them no longer
  than the grace, and puts tasks fetched but never started back on the broker. Every
  wait is bounded, so the cluster ends even when some of its processes are gone.
- A worker or monitor killed while waiting on its queue no longer takes the queue's
  reader lock with it: the sentinel frees it before respawning the process.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from queue import Empty, Full

from django import db
from django.conf import settings
from django.dispatch import receiver
from django_q import cluster as q_cluster
from django_q.signals import post_spawn
from django_q.signing import SignedPackage
from django_q.status import Stat

from jobs import lifecycle, runner, workers
from jobs.models import Job, JobStatus

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# Beyond the jobs' grace, how long the pusher, the monitor and the workers get to end.
AUX_STOP_SECONDS = 5.0


def dead_local_workers() -> list[str]:
    """Tokens of workers holding a job whose process, in this pid namespace, is gone."""
    prefix = f"{workers.host_id()}:"
    held = Job.objects.filter(status=JobStatus.PROCESSING, worker__startswith=prefix)
    dead = []
    for token, claimed_at in held.values_list("worker", "started_at"):
        pid = workers.local_pid(token)
        if pid is not None and not workers.process_running_since(pid, claimed_at):
            dead.append(token)
    return dead


def cluster_reap() -> dict[str, list[str]]:
    return lifecycle.jobs_reap(dead_workers=dead_local_workers())


def _reap_quietly() -> None:
    try:
        cluster_reap()
    except Exception:  # the database may be restarting: try again next round
        log.exception("reaping lost jobs failed")
        db.connections.close_all()


def cluster_run() -> None:
    """Run a cluster until it is told to stop, reaping lost jobs meanwhile."""
    _reap_quietly()  # a cluster that replaces a dead one takes its jobs back first
    db.connections.close_all()  # the sentinel forks from here: share no connection
    cluster = Cluster()
    cluster.start()
    while cluster.sentinel.is_alive():
        cluster.sentinel.join(settings.JOB_REAP_SECONDS)
        if cluster.sentinel.is_alive() and not cluster.stopping:
            _reap_quietly()
    db.connections.close_all()
    if cluster.sentinel.exitcode:
        raise SystemExit(f"the cluster's sentinel exited with {cluster.sentinel.exitcode}")


class Cluster(q_cluster.Cluster):
    """The main process: a signal only asks the sentinel to stop; the loop above waits."""

    def __init__(self):
        super().__init__()
        self.stopping = False
        for signum in STOP_SIGNALS:
            signal.signal(signum, self.sig_handler)

    def start(self) -> int:
        # Cluster.start() names its sentinel class through this module attribute.
        q_cluster.Sentinel = Sentinel
        pid = super().start()
        if self.stopping:  # told to stop before there was a sentinel to tell
            self.stop_event.set()
        return pid

    def sig_handler(self, signum, frame):
        log.info("worker cluster: %s received, stopping", signal.Signals(signum).name)
        self.stopping = True
        if self.stop_event is not None:
            _set_from_a_thread(self.stop_event)


class Sentinel(q_cluster.Sentinel):
    """Guards the pool as django-q2's does, and stops it without losing a task."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, start=False)
        sentinel_pid = os.getpid()

        def on_term(signum, frame):
            # The pusher and the monitor inherit this handler and ignore the signal:
            # the sentinel stops them in order, after the workers.
            if os.getpid() == sentinel_pid:
                _set_from_a_thread(self.stop_event)

        signal.signal(signal.SIGTERM, on_term)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # inherited by every child
        # Before any child is forked, so that every reader of the two queues writes
        # down when it holds one's reader lock (see reincarnate).
        self.readers = [ReaderLock.install(q) for q in (self.task_queue, self.result_queue)]
        self.start()

    def reincarnate(self, process):
        # A process killed while it waited on a queue dies holding that queue's reader
        # lock (an idle worker, or the monitor, waits there nearly all the time), and no
        # process could ever read that queue again: the cluster looked alive and ran
        # nothing. Its lock is freed before a successor takes its place.
        for reader in self.readers:
            if reader.free_if_held_by(process.pid):
                log.warning("worker cluster: %s died waiting for work; freed its queue",
                            process.name)
        super().reincarnate(process)

    def stop(self):
        Stat(self).save()
        deadline = time.monotonic() + settings.JOB_STOP_GRACE_SECONDS + AUX_STOP_SECONDS
        self.event_out.set()  # the pusher ends after its current fetch
        _wait_for(self.pusher, time.monotonic() + AUX_STOP_SECONDS)
        for process in self.pool:
            _signal(process, signal.SIGTERM)
        for _ in self.pool:
            # Ends each worker once the tasks ahead of it are handed back. A full queue
            # takes no more: the workers then leave when their grace is over.
            try:
                self.task_queue.put("STOP", block=False)
            except Full:
                break
        for process in self.pool:
            _wait_for(process, deadline)
        self.pool = []
        self._requeue_unstarted()
        self.result_queue.put("STOP")
        _wait_for(self.monitor, time.monotonic() + AUX_STOP_SECONDS)
        # Nothing may block the exit on a queue whose reader is gone.
        self.task_queue.cancel_join_thread()
        self.result_queue.cancel_join_thread()
        Stat(self).save()

    def _requeue_unstarted(self) -> None:
        """Tasks the pusher fetched that no worker started go back on the broker."""
        requeued = 0
        while True:
            try:
                task = self.task_queue.get(timeout=0.2)
            except (Empty, OSError, EOFError):
                break
            if task == "STOP":
                continue
            ack_id = task.pop("ack_id", None)
            task.pop("cluster", None)
            self.broker.enqueue(SignedPackage.dumps(task))
            if ack_id is not None:
                self.broker.acknowledge(ack_id)
            requeued += 1
        if requeued:
            log.info("worker cluster: %d fetched task(s) put back on the queue", requeued)


class ReaderLock:
    """A multiprocessing queue's reader lock that records which process holds it.

    The record is a lock-free shared integer (a ``Value`` with a lock could itself be
    left locked by a killed process). It is written after acquiring and cleared before
    releasing, so it names a process only while that process holds the lock: freeing
    the lock for a dead holder can never free it under a live one. A plain
    ``multiprocessing.Lock`` may be released by any process.
    """

    def __init__(self, lock):
        self.lock = lock
        self.holder = q_cluster.get_mp_context().RawValue("i", 0)

    @classmethod
    def install(cls, queue) -> ReaderLock:
        reader = queue._rlock = cls(queue._rlock)
        return reader

    def acquire(self, block=True, timeout=None) -> bool:
        if not self.lock.acquire(block, timeout):
            return False
        self.holder.value = os.getpid()
        return True

    def release(self) -> None:
        self.holder.value = 0
        self.lock.release()

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def free_if_held_by(self, pid: int | None) -> bool:
        if not pid or self.holder.value != pid:
            return False
        self.holder.value = 0
        self.lock.release()
        return True


def _set_from_a_thread(event) -> None:
    """Set a multiprocessing Event from a signal handler without deadlocking.

    The sentinel spends its life in ``stop_event.wait()``; a handler that runs inside that
    wait and sets the same Event waits in ``notify`` for a sleeper to wake, and the
    sleeper is itself. The main process, signalled at the same moment (SIGTERM to the
    process group: a terminal's process manager, ``kill -- -PGID``, systemd's default
    KillMode), then blocks on the Event's lock for good. A thread sets it once the
    handler has returned and the wait goes on.
    """
    threading.Thread(target=event.set, name="stop-event", daemon=True).start()


def _signal(process, signum) -> None:
    try:
        os.kill(process.pid, signum)
    except (ProcessLookupError, TypeError):
        pass


def _wait_for(process, deadline: float) -> None:
    """Join ``process`` until ``deadline``, then kill it: a stop must end."""
    if process is None:
        return
    process.join(max(0.0, deadline - time.monotonic()))
    if process.is_alive():
        log.warning("worker cluster: %s did not stop in time; killed", process.name)
        process.kill()
        process.join(AUX_STOP_SECONDS)


@receiver(post_spawn)
def _install_worker_stop(sender, proc_name, **kwargs):
    """In each worker process, as it starts: SIGTERM means hand back and stop."""
    runner.shutdown.install()
