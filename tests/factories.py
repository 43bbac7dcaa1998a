"""factory_boy factories for the repository app."""

import factory
from django.utils import timezone

from repository.models import ClinicianApplication, Diagnosis, ImageRequest, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct-horse-battery")


class ClinicianApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClinicianApplication

    user = factory.SubFactory(UserFactory)
    licence_number = factory.Sequence(lambda n: f"LIC-{n:05d}")
    issuing_authority = "Medical Council of Nigeria"
    country = "Nigeria"
    institution = "Lagos University Teaching Hospital"
    specialty = "Dermatology"


class ClinicianFactory(UserFactory):
    """A user with a verified clinician application."""

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if create:
            ClinicianApplicationFactory(
                user=obj, status=ClinicianApplication.Status.VERIFIED, decided_at=timezone.now()
            )


class ModeratorFactory(UserFactory):
    is_moderator = True
    is_staff = True


class ReviewerFactory(ClinicianFactory):
    is_reviewer = True


class ResearcherFactory(UserFactory):
    data_terms_accepted_at = factory.LazyFunction(timezone.now)


class ImageRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImageRequest

    requester = factory.SubFactory(ClinicianFactory)
    diagnosis = factory.LazyFunction(lambda: Diagnosis.objects.get(code="mel"))
    fitzpatrick_min = 4
    fitzpatrick_max = 6
    modality = "dermoscopic"
    quantity = 2
    reason = "Training a melanoma classifier for a West African clinic."
