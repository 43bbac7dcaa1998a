# English pages keep ISO dates (unambiguous for an international readership); Django's own
# English formats fill in everything not named here.
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
