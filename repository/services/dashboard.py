"""What the home page shows each signed-in person: their own work, by role. Reads only."""

from repository.models import ClinicianApplication, ImageRequest, LesionImage, NearDuplicatePair


def home_panels(*, user) -> dict:
    """One entry per role the user holds; an anonymous visitor gets none."""
    if not user.is_authenticated:
        return {}
    panels: dict = {}
    if user.is_verified_clinician:
        pending = user.contributions.filter(status=LesionImage.Status.PENDING)
        panels["contributor"] = {
            "pending_count": pending.count(),
            "pending": pending.select_related("diagnosis").order_by("-created_at")[:6],
            # Open requests, the largest unmet need first: what a contributor could fulfil next.
            "requests": ImageRequest.objects.open().by_unmet_need().select_related("diagnosis")[:5],
        }
    if user.is_reviewer:
        from synthesis.services.review import review_queue

        panels["reviewer"] = {"to_review": review_queue(user=user).count()}
    if user.is_moderator:
        from synthesis.models import SyntheticImage

        panels["moderator"] = {
            "images": LesionImage.objects.pending().count(),
            "flagged": LesionImage.objects.pending().tone_flagged().count(),
            "applications": ClinicianApplication.objects.filter(
                status=ClinicianApplication.Status.PENDING
            ).count(),
            "near_duplicates": NearDuplicatePair.objects.filter(
                decision=NearDuplicatePair.Decision.UNDECIDED
            ).count(),
            "disputed": SyntheticImage.objects.filter(
                status=SyntheticImage.Status.DISPUTED
            ).count(),
        }
    if user.is_researcher:
        panels["researcher"] = {
            "tokens": list(user.api_tokens.active().order_by("-created_at")[:3]),
        }
    return panels
