"""The shape of the code, checked: imports run one way, and an operation is its own
package plus one line in the registry."""

import re
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from jobs.operations import OPERATIONS

ROOT = Path(__file__).resolve().parent.parent
# Job types that are also ordinary words: these uses of the word do not name the type
# (HTML's role="search" and type="search", the shared tables' "search" query key).
ORDINARY_USES = {
    "search": re.compile(r"""(role|type)="search"|["']search["']\s*:|\[["']search["']\]"""),
}


def test_import_contracts_are_kept():
    # The contracts live in pyproject.toml ([tool.importlinter]).
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_net_reads_no_settings():
    # net/ speaks protocols; jobs/clients.py reads the settings and configures it.
    # (import-linter does not look at third-party imports, so this reads the source.)
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in sorted((ROOT / "jobs" / "net").rglob("*.py"))
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if re.search(r"^\s*(from|import) django\b", line)]
    assert not found, "\n".join(found)


def test_no_module_imports_itself_round_about():
    graph = grimp.build_graph("jobs", cache_dir=None)
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain:
                cycles.append(" -> ".join((module, *chain)))
    assert not cycles, "\n".join(cycles)


def _product_sources():
    for path in sorted((ROOT / "jobs").rglob("*")):
        if path.suffix in (".py", ".html") and "migrations" not in path.parts:
            yield path
    for folder in ("config", "templates"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".html"):
                yield path


@pytest.mark.parametrize("job_type", sorted(OPERATIONS))
def test_no_code_outside_an_operation_names_its_type(job_type):
    own = ROOT / "jobs" / "operations" / job_type
    registry = ROOT / "jobs" / "operations" / "__init__.py"
    word = re.compile(rf"""["'/]{re.escape(job_type)}["'/.]""")
    ordinary = ORDINARY_USES.get(job_type, re.compile(r"(?!)"))
    named = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _product_sources() if own not in path.parents and path != registry
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if word.search(ordinary.sub("", line))
    ]
    assert not named, "\n".join(named)
