"""Errors of clusters, enterprises and collective trademarks."""

from commerce.errors import N_, Conflict, ValidationFailed


class DuplicateUscc(Conflict):
    code = "duplicate_uscc"
    message = N_("An enterprise with this unified social credit code already exists.")


class DuplicateClusterName(Conflict):
    code = "duplicate_cluster"
    message = N_("A cluster with this name already exists.")


class DuplicateRegistration(Conflict):
    code = "duplicate_trademark"
    message = N_("A trademark with this registration number already exists.")


class DuplicateMembership(Conflict):
    code = "duplicate_membership"
    message = N_("This enterprise already has a membership of this trademark, or the licence number is taken.")


class UnknownReference(ValidationFailed):
    code = "unknown_reference"
    message = N_("{entity} {id} does not exist.")


class WrongEnterpriseKind(ValidationFailed):
    code = "wrong_enterprise_kind"
    message = N_("The enterprise must be of kind {kinds}.")


class OutsideCluster(ValidationFailed):
    code = "outside_cluster"
    message = N_("The enterprise does not belong to the trademark's cluster.")


class NotAMember(Conflict):
    code = "not_a_member"
    message = N_("The maker is not an active member of this collective trademark.")


class MembershipRevoked(Conflict):
    code = "membership_revoked"
    message = N_("A revoked membership cannot change; admit the firm again with a new licence.")


class MembershipOutOfPeriod(Conflict):
    code = "membership_out_of_period"
    message = N_("The membership cannot be active outside its validity period; extend valid_to first.")
