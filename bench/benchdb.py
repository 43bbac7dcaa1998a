"""Shared set-up of the database benchmarks: a dedicated database (created when missing),
development settings on a scratch folder, migrated."""

import os


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named by `url` when it does not exist yet."""
    import dj_database_url
    import psycopg2

    cfg = dj_database_url.parse(url)
    if "postgresql" not in cfg["ENGINE"]:
        return
    conn = psycopg2.connect(
        dbname="postgres",
        user=cfg["USER"] or "postgres",
        host=cfg["HOST"] or "127.0.0.1",
        port=cfg["PORT"] or 5432,
        password=cfg["PASSWORD"] or None,
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    conn.close()


def django_on(database_url: str, var_dir: str, **extra_env: str) -> dict:
    """Point this process at the bench database, set Django up and migrate; returns the
    environment, for subprocesses (a gunicorn, a worker) that must see the same."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="pixgen.settings.development",
        DATABASE_URL=database_url,
        PIXGEN_VAR_DIR=str(var_dir),
        DJANGO_DEBUG="false",
        **extra_env,
    )
    os.environ.update(env)
    ensure_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env
