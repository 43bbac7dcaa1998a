from .api_token import ApiToken
from .catalogue_count import CatalogueCount
from .clinician_application import ClinicianApplication
from .diagnosis import Diagnosis
from .export import Export
from .image_request import ImageRequest
from .lesion_image import LesionImage
from .metadata_revision import MetadataRevision
from .near_duplicate_pair import NearDuplicatePair
from .perceptual_hash import PerceptualHash
from .release import Release
from .release_item import ReleaseItem
from .tone_label import ToneLabel
from .user import User

__all__ = [
    "ApiToken",
    "CatalogueCount",
    "ClinicianApplication",
    "Diagnosis",
    "Export",
    "ImageRequest",
    "LesionImage",
    "MetadataRevision",
    "NearDuplicatePair",
    "PerceptualHash",
    "Release",
    "ReleaseItem",
    "ToneLabel",
    "User",
]
