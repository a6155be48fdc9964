import factory
from django.contrib.auth import get_user_model

from jobs.models import Job, JobStatus, Membership, Organization


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"org-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)


def api_key_with_raw(organization=None, name="ci-key"):
    """A saved key and the raw value a client would send (only the hash is stored)."""
    from jobs.services import api_key_create

    return api_key_create(organization=organization or OrganizationFactory(), name=name)


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    organization = factory.SubFactory(OrganizationFactory)
    type = "test_noop"
    status = JobStatus.PENDING
    params = factory.LazyFunction(lambda: {"n": 1})
    target = "1"
    username = "ci-key"
