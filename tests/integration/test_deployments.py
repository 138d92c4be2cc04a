"""Two applications in one process each keep their own settings and the parts built from them."""

from __future__ import annotations

from commerce import create_app


def test_two_applications_in_one_process_keep_their_own_settings(app, deployment, settings, tmp_path):
    other = create_app(
        settings.model_copy(
            update={"password_hash_time_cost": 2, "password_hash_memory_kib": 128, "instance_path": tmp_path}
        )
    )
    theirs = other.extensions["commerce.deployment"]
    try:
        assert theirs is not deployment and theirs.database is not deployment.database
        assert "$m=128,t=2," in theirs.passwords.hash("a long password")
        # The first application's cost is what it was before the second was built.
        assert "$m=64,t=1," in deployment.passwords.hash("a long password")
        assert theirs.marketplace_clients is not deployment.marketplace_clients
        theirs.customs_gateway = lambda platform, settings: None
        assert deployment.customs_gateway is None
        # Each answers a sign-in with its own hasher: a hash of either cost verifies under both.
        assert deployment.passwords.verify(theirs.passwords.hash("x" * 12), "x" * 12)
    finally:
        theirs.database.dispose()
