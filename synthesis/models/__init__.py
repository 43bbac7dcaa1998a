from .augmentation_experiment import AugmentationExperiment, AugmentationRun
from .bias_audit import BiasAudit
from .blind_judgement import BlindJudgement
from .blind_session import BlindSession
from .classifier_model import ClassifierModel
from .gan_model import GanModel
from .job_item import JobItem
from .review import Review
from .review_settlement import ReviewSettlement
from .segmenter_model import SegmenterModel
from .style_template import StyleTemplate
from .synthesis_job import SynthesisJob
from .synthetic_image import SyntheticImage

__all__ = [
    "AugmentationExperiment",
    "AugmentationRun",
    "BiasAudit",
    "BlindJudgement",
    "BlindSession",
    "Review",
    "ReviewSettlement",
    "ClassifierModel",
    "GanModel",
    "JobItem",
    "SegmenterModel",
    "StyleTemplate",
    "SynthesisJob",
    "SyntheticImage",
]
