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


def test_a_deployment_signs_through_the_agent_it_is_given_or_with_its_key_files(settings, tmp_path):
    from commerce.customs.signing import AgentSigner, KeyFileSigner, write_self_signed
    from commerce.db import Database
    from commerce.deployment import Deployment

    database = Database("sqlite://")
    try:
        agent = settings.model_copy(
            update={"customs_signing_agent_url": "http://127.0.0.1:8080", "instance_path": tmp_path / "none"}
        )
        assert isinstance(Deployment.build(agent, database).customs_signer, AgentSigner)
        key, certificate = write_self_signed(tmp_path / "card", common_name="Platform")
        files = settings.model_copy(
            update={"customs_signing_key": key, "customs_signing_certificate": certificate, "instance_path": tmp_path}
        )
        assert isinstance(Deployment.build(files, database).customs_signer, KeyFileSigner)
        neither = settings.model_copy(update={"instance_path": tmp_path / "none", "customs_signing_key": None})
        assert Deployment.build(neither, database).customs_signer is None
    finally:
        database.dispose()
