import pytest


@pytest.fixture
def login(client):
    """Log a user in and hand back the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
