from .api_token import ApiToken
from .clinician_application import ClinicianApplication
from .diagnosis import Diagnosis
from .image_request import ImageRequest
from .lesion_image import LesionImage
from .user import User

__all__ = ["ApiToken", "ClinicianApplication", "Diagnosis", "ImageRequest", "LesionImage", "User"]
