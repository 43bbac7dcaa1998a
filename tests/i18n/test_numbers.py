"""Numbers the plain-words filters write follow the reader's locale (a decimal comma in
Indonesian), while whole numbers and codes stay as they are."""

from django.utils import translation

from repository.templatetags.plain import field_value, metric_label


def test_decimals_follow_the_locale():
    with translation.override("id"):
        assert field_value(12.5, "ita_deg") == "12,5"
        assert field_value(3.0, "seed") == "3"
        assert (
            metric_label("sensitivity_at_specificity_0.8") == "Sensitivitas pada spesifisitas 0,8"
        )
    with translation.override("ja"):
        assert field_value(12.5, "ita_deg") == "12.5"
        assert metric_label("sensitivity_at_specificity_0.8") == "特異度 0.8 での感度"
    with translation.override("en"):
        assert field_value(12.5, "ita_deg") == "12.5"
        assert metric_label("sensitivity_at_specificity_0.8") == "Sensitivity at 0.8 specificity"


def test_every_experiment_metric_and_plot_has_words_in_each_language():
    from synthesis.views.experiments import METRICS, PLOT_KINDS

    for language in ("ja", "id"):
        with translation.override(language):
            for key in (*METRICS, *PLOT_KINDS):
                label = metric_label(key)
                assert "_" not in label and label != key.capitalize(), (language, key, label)
