import pytest

from commerce.secrets import SecretsUnreadable, seal, unseal

KEY = "a-secret-key-that-is-long-enough-for-production"


def test_sealed_credentials_open_with_the_same_key_only():
    sealed = seal(KEY, {"access_token": "shpat_123", "webhook_secret": "whsec"})
    assert "shpat_123" not in sealed
    assert unseal(KEY, sealed) == {"access_token": "shpat_123", "webhook_secret": "whsec"}
    assert seal(KEY, {"a": "b"}) != seal(KEY, {"a": "b"})
    with pytest.raises(SecretsUnreadable):
        unseal(KEY + "x", sealed)
    with pytest.raises(SecretsUnreadable):
        unseal(KEY, sealed, purpose="another-purpose")
    with pytest.raises(SecretsUnreadable):
        unseal(KEY, sealed[:-4] + "AAAA")
