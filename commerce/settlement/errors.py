"""Errors of settlement."""

from commerce.errors import N_, Conflict, ValidationFailed


class AgreementEndsBeforeStart(ValidationFailed):
    code = "agreement_ends_before_start"
    message = N_("An agreement cannot end before it starts.")


class StatementNotDraft(Conflict):
    code = "statement_not_draft"
    message = N_("This statement is {status}: a settled month is never changed; corrections come in the next one.")
    terms = ("status",)


class PeriodNotOver(Conflict):
    code = "period_not_over"
    message = N_("{period} has not ended yet: its statement can be approved from the first day after it.")


class StatementNotApproved(Conflict):
    code = "statement_not_approved"
    message = N_("Only an approved statement is paid.")


class SettlementCollided(Conflict):
    code = "settlement_collided"
    message = N_("Another computation of these statements ran at the same moment; compute them again.")
