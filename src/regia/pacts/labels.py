"""Labels the pacts' templates look up by a code (``_('pacts.kind.' ~ action.kind)``): each table maps the code to
its message key, written out so that ``pybabel`` (``make messages``) keeps the key. A test checks that every code the
models and services know has its label here."""

from __future__ import annotations

from regia.i18n import N_

# How a call aggregates the evaluators' scores
AGGREGATION = {
    "average": N_("pacts.callform.aggregation.average"),
    "consensus": N_("pacts.callform.aggregation.consensus"),
}
# A monitoring alert's kind
ALERT = {
    "late": N_("prog.alert.late"),
    "no_report": N_("prog.alert.no_report"),
    "overspending": N_("prog.alert.overspending"),
    "underperforming": N_("prog.alert.underperforming"),
}
# A field of the call form
CALL_FIELD = {
    "code": N_("pacts.callform.code"),
    "ends_on": N_("pacts.callform.ends_on"),
    "evaluation_deadline": N_("pacts.callform.evaluation_deadline"),
    "manifestation_deadline": N_("pacts.callform.manifestation_deadline"),
    "max_grant": N_("pacts.callform.max_grant"),
    "max_spread": N_("pacts.callform.max_spread"),
    "min_evaluators": N_("pacts.callform.min_evaluators"),
    "min_partners": N_("pacts.callform.min_partners"),
    "min_total": N_("pacts.callform.min_total"),
    "opens_at": N_("pacts.callform.opens_at"),
    "programme_deadline": N_("pacts.callform.programme_deadline"),
    "title": N_("pacts.callform.title"),
    "version": N_("pacts.callform.version"),
}
# The hint shown with a refused field of the call form
CALL_FIELD_HINT = {
    "aggregation": N_("pacts.callform.hint.aggregation"),
    "budget": N_("pacts.callform.hint.budget"),
    "code": N_("pacts.callform.hint.code"),
    "description": N_("pacts.callform.hint.description"),
    "ends_on": N_("pacts.callform.hint.ends_on"),
    "evaluation_deadline": N_("pacts.callform.hint.evaluation_deadline"),
    "grid": N_("pacts.callform.hint.grid"),
    "manifestation_deadline": N_("pacts.callform.hint.manifestation_deadline"),
    "max_grant": N_("pacts.callform.hint.max_grant"),
    "max_spread": N_("pacts.callform.hint.max_spread"),
    "min_cofinancing_share": N_("pacts.callform.hint.min_cofinancing_share"),
    "min_evaluators": N_("pacts.callform.hint.min_evaluators"),
    "min_partners": N_("pacts.callform.hint.min_partners"),
    "min_total": N_("pacts.callform.hint.min_total"),
    "opens_at": N_("pacts.callform.hint.opens_at"),
    "programme_deadline": N_("pacts.callform.hint.programme_deadline"),
    "required_partner_types": N_("pacts.callform.hint.required_partner_types"),
    "targets": N_("pacts.callform.hint.targets"),
    "territories": N_("pacts.callform.hint.territories"),
    "title": N_("pacts.callform.hint.title"),
    "version": N_("pacts.callform.hint.version"),
}
# An admissibility check
CHECK = {
    "commitment_letters": N_("eval.check.commitment_letters"),
    "deadline": N_("eval.check.deadline"),
    "decision": N_("eval.check.decision"),
    "min_partners": N_("eval.check.min_partners"),
    "partner_types": N_("eval.check.partner_types"),
    "territory": N_("eval.check.territory"),
}
# What an evaluation page confirms after a redirect (``?done=``)
EVALUATION_DONE = {
    "assigned": N_("eval.done.assigned"),
    "closed": N_("eval.done.closed"),
    "decided": N_("eval.done.decided"),
    "declared": N_("eval.done.declared"),
    "published": N_("eval.done.published"),
    "saved": N_("eval.done.saved"),
    "submitted": N_("eval.done.submitted"),
}
# A proposal's state on the evaluation pages
EVALUATION_STATE = {
    "admissible": N_("eval.state.admissible"),
    "approved": N_("eval.state.approved"),
    "closed": N_("eval.state.closed"),
    "draft": N_("eval.state.draft"),
    "evaluated": N_("eval.state.evaluated"),
    "in_progress": N_("eval.state.in_progress"),
    "inadmissible": N_("eval.state.inadmissible"),
    "not_selected": N_("eval.state.not_selected"),
    "programme_submitted": N_("eval.state.programme_submitted"),
    "selected": N_("eval.state.selected"),
    "submitted": N_("eval.state.submitted"),
}
# A figure of an action (targets, progress)
FIGURE = {
    "certified": N_("prog.fig.certified"),
    "completed": N_("prog.fig.completed"),
    "enrolled": N_("prog.fig.enrolled"),
    "placed": N_("prog.fig.placed"),
}
# An action's kind
KIND = {
    "apprenticeship": N_("pacts.kind.apprenticeship"),
    "certification": N_("pacts.kind.certification"),
    "guidance": N_("pacts.kind.guidance"),
    "placement": N_("pacts.kind.placement"),
    "training": N_("pacts.kind.training"),
}
# How a proposal's score was aggregated
METHOD = {
    "average": N_("eval.method.average"),
    "consensus": N_("eval.method.consensus"),
}
# A partner's organisation type
ORGTYPE = {
    "bank_foundation": N_("pacts.orgtype.bank_foundation"),
    "business_network": N_("pacts.orgtype.business_network"),
    "cciaa": N_("pacts.orgtype.cciaa"),
    "certifier": N_("pacts.orgtype.certifier"),
    "citizen": N_("pacts.orgtype.citizen"),
    "education": N_("pacts.orgtype.education"),
    "employers_association": N_("pacts.orgtype.employers_association"),
    "firm": N_("pacts.orgtype.firm"),
    "fund": N_("pacts.orgtype.fund"),
    "partnership": N_("pacts.orgtype.partnership"),
    "professional_order": N_("pacts.orgtype.professional_order"),
    "provider": N_("pacts.orgtype.provider"),
    "region": N_("pacts.orgtype.region"),
}
# A place's outcome in the ranking
OUTCOME = {
    "below_threshold": N_("eval.outcome.below_threshold"),
    "not_funded": N_("eval.outcome.not_funded"),
    "over_max_grant": N_("eval.outcome.over_max_grant"),
    "selected": N_("eval.outcome.selected"),
}
# A call's phase (``calls.phase``)
PHASE = {
    "closed": N_("pacts.phase.closed"),
    "evaluation": N_("pacts.phase.evaluation"),
    "implementation": N_("pacts.phase.implementation"),
    "manifestation": N_("pacts.phase.manifestation"),
    "not_open": N_("pacts.phase.not_open"),
    "programme": N_("pacts.phase.programme"),
}
# What the programme page confirms after a redirect (``?done=``)
PROGRAMME_DONE = {
    "approved": N_("prog.done.approved"),
    "returned": N_("prog.done.returned"),
    "submitted": N_("prog.done.submitted"),
}
# A funding source
SOURCE = {
    "cofinancing": N_("pacts.source.cofinancing"),
    "fse_plus": N_("pacts.source.fse_plus"),
    "fund": N_("pacts.source.fund"),
    "regional": N_("pacts.source.regional"),
}
# A proposal's state (``_('pacts.status.' ~ proposal.status)``)
STATUS = {
    "admissible": N_("pacts.status.admissible"),
    "approved": N_("pacts.status.approved"),
    "closed": N_("pacts.status.closed"),
    "draft": N_("pacts.status.draft"),
    "evaluated": N_("pacts.status.evaluated"),
    "in_progress": N_("pacts.status.in_progress"),
    "inadmissible": N_("pacts.status.inadmissible"),
    "not_selected": N_("pacts.status.not_selected"),
    "programme_submitted": N_("pacts.status.programme_submitted"),
    "selected": N_("pacts.status.selected"),
    "submitted": N_("pacts.status.submitted"),
}
# A target group
TARGET = {
    "apprentices": N_("pacts.target.apprentices"),
    "employed": N_("pacts.target.employed"),
    "foreign_workers": N_("pacts.target.foreign_workers"),
    "students": N_("pacts.target.students"),
    "suspended_workers": N_("pacts.target.suspended_workers"),
    "unemployed": N_("pacts.target.unemployed"),
}
