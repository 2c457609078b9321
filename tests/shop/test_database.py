from django.db import connection


def test_the_suite_runs_on_its_own_database(db):
    assert connection.settings_dict["NAME"].startswith("test_")
    assert "27117" not in connection.settings_dict["HOST"]
    assert connection.database.command("ping")["ok"] == 1
