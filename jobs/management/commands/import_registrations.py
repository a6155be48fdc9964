"""``import_registrations FILE... [--org ORG]``: bulk registration records into the store."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from jobs.models import Organization
from jobs.registrations.importer import ImportFailed, registrations_import

LISTED_REJECTS = 50


class Command(BaseCommand):
    help = ("Load registration records (CSV or JSONL, gzip accepted) into the search store. "
            "Without --org they are visible to every organization. An interrupted import "
            "resumes where it stopped when run again. Prints 'read N, inserted N, updated N, "
            "rejected N' last.")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--org", help="keep the records visible to this organization only")
        parser.add_argument("--restart", action="store_true",
                            help="start from the top even if an earlier run was interrupted")

    def handle(self, *args, files, org=None, restart=False, **options):
        organization_id = self._organization(org)
        totals = dict.fromkeys(("read", "inserted", "updated", "rejected"), 0)
        for path in files:
            run = self._import(path, organization_id, restart)
            for name in totals:
                totals[name] += getattr(run, name)
        self.stdout.write(", ".join(f"{name} {count}" for name, count in totals.items()))

    def _organization(self, name: str | None) -> int | None:
        if not name:
            return None
        try:
            return Organization.objects.get(name=name).pk
        except Organization.DoesNotExist:
            raise CommandError(f"no organization named {name!r}") from None

    def _import(self, path: str, organization_id, restart: bool):
        bar = ProgressBar(self.stderr, path)
        try:
            run = registrations_import(path, organization_id=organization_id, restart=restart,
                                       progress=bar.show)
        except ImportFailed as exc:   # a missing file too: "<path>: No such file or directory"
            raise CommandError(str(exc)) from None
        bar.done(run)
        for line, reason in run.rejects[:LISTED_REJECTS]:
            self.stderr.write(f"{path}:{line}: rejected: {reason}")
        if run.rejected > LISTED_REJECTS:
            self.stderr.write(f"{path}: {run.rejected - LISTED_REJECTS} more rejected rows "
                              f"(the first {len(run.rejects)} are kept in import run {run.pk})")
        return run


class ProgressBar:
    """A one-line bar on a terminal; a line per tenth of the file otherwise."""

    WIDTH = 30

    def __init__(self, out, path: str):
        self.out, self.path = out, path
        self.tty = out.isatty()
        self.started = time.monotonic()
        self.tenth = -1

    def show(self, run, done: int, total: int) -> None:
        share = done / total if total else 1.0
        rate = run.read / max(time.monotonic() - self.started, 1e-6)
        text = (f"{self.path} [{'#' * int(share * self.WIDTH):<{self.WIDTH}}] {share:4.0%} "
                f"{run.read:,} rows {rate:,.0f} rows/s")
        if self.tty:
            self.out.write("\r" + text, ending="")
            self.out.flush()
        elif int(share * 10) > self.tenth:
            self.tenth = int(share * 10)
            self.out.write(text)

    def done(self, run) -> None:
        if self.tty:
            self.out.write("")
        seconds = time.monotonic() - self.started
        self.out.write(f"{self.path}: {run.layout}, read {run.read}, inserted {run.inserted}, "
                       f"updated {run.updated}, rejected {run.rejected} in {seconds:.1f} s")
