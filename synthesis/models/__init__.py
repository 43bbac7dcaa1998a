from .job_item import JobItem
from .segmenter_model import SegmenterModel
from .style_template import StyleTemplate
from .synthesis_job import SynthesisJob
from .synthetic_image import SyntheticImage

__all__ = ["JobItem", "SegmenterModel", "StyleTemplate", "SynthesisJob", "SyntheticImage"]
