"""The iefp domain's services, in one place for the API, the pages, the CLI and other domains.

Every function takes keyword-only arguments and raises :mod:`regia.auth.errors`; the modules behind it:
:mod:`~regia.iefp.figures` (the repertory and its imports), :mod:`~regia.iefp.offer` (centres, seats, paths and
their position against demand), :mod:`~regia.iefp.students`, :mod:`~regia.iefp.places` (places, candidacies,
rankings), :mod:`~regia.iefp.rounds` (the matching runs), :mod:`~regia.iefp.placements` (placements, training
plans, progress, outcomes) and :mod:`~regia.iefp.system` (the Region's view).
"""

from __future__ import annotations

from regia.iefp.figures import (
    IMPORT_HINT,
    IMPORT_LABEL,
    Counts,
    FormatError,
    current,
    import_file,
    ingest_figures,
    list_figures,
)
from regia.iefp.offer import (
    add_seat,
    centre_of,
    create_path,
    figure_by_code,
    get_path,
    list_centres,
    list_paths,
    path_position,
    register_centre,
    update_path,
)
from regia.iefp.placements import (
    get_placement,
    list_placements,
    plan_form,
    record_outcome,
    refresh_hiring,
    report_progress,
    save_plan,
)
from regia.iefp.placements import start as start_placement
from regia.iefp.places import (
    PlaceInput,
    candidates,
    create_place,
    get_place,
    list_places,
    propose,
    rank_candidates,
    set_preferences,
    set_status,
)
from regia.iefp.rounds import build_instance, current_assignments, get_run, list_runs, run_matching
from regia.iefp.rules import PlanInput, PlanInvalid, check_plan
from regia.iefp.seams import Hire, HiringLookup
from regia.iefp.students import enrol, get_student, list_students, record_consent
from regia.iefp.system import overview

__all__ = [
    "IMPORT_HINT",
    "IMPORT_LABEL",
    "Counts",
    "FormatError",
    "Hire",
    "HiringLookup",
    "PlaceInput",
    "PlanInput",
    "PlanInvalid",
    "add_seat",
    "build_instance",
    "candidates",
    "centre_of",
    "check_plan",
    "create_path",
    "create_place",
    "current",
    "current_assignments",
    "enrol",
    "figure_by_code",
    "get_path",
    "get_place",
    "get_placement",
    "get_run",
    "get_student",
    "import_file",
    "ingest_figures",
    "list_centres",
    "list_figures",
    "list_paths",
    "list_placements",
    "list_places",
    "list_runs",
    "list_students",
    "overview",
    "path_position",
    "plan_form",
    "propose",
    "rank_candidates",
    "record_consent",
    "record_outcome",
    "refresh_hiring",
    "register_centre",
    "report_progress",
    "run_matching",
    "save_plan",
    "set_preferences",
    "set_status",
    "start_placement",
    "update_path",
]
