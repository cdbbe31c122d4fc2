import pytest
from django.core.management import call_command

from cooperation.roles import VIEWER
from tests import factories


@pytest.fixture
def seed(db):
    """The seed data users see, loaded from fixtures/."""
    call_command("loaddata", "fixtures/seed.json", verbosity=0)


@pytest.fixture
def viewer(db):
    from django.contrib.auth.models import Group

    user = factories.UserFactory(username="viewer")
    user.groups.add(Group.objects.get(name=VIEWER))
    return user


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client
