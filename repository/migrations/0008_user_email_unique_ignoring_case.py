"""E-mail addresses unique whatever their case. Existing accounts whose addresses differ only
in case are not merged or renamed here (either could be the person's real one): the migration
stops and lists them, to be resolved in the admin first."""

import django.db.models.functions.text
from django.db import migrations, models
from django.db.models.functions import Lower


def refuse_case_duplicates(apps, schema_editor):
    User = apps.get_model("repository", "User")
    clashes = (
        User.objects.annotate(folded=Lower("email"))
        .values("folded")
        .annotate(n=models.Count("id"))
        .filter(n__gt=1)
    )
    groups = []
    for clash in clashes:
        names = User.objects.filter(email__iexact=clash["folded"]).values_list(
            "username", flat=True
        )
        groups.append(f"{clash['folded']}: {', '.join(sorted(names))}")
    if groups:
        raise RuntimeError(
            "These accounts share an e-mail address that differs only in case; change all but "
            "one in the admin, then run migrate again:\n  " + "\n  ".join(groups)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("repository", "0007_near_duplicates_metadata_history"),
    ]

    operations = [
        migrations.RunPython(refuse_case_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                name="user_email_unique_ignoring_case",
                violation_error_message="An account with this e-mail address already exists.",
            ),
        ),
    ]
