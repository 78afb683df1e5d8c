"""Settings are read once at the edge: every one is described, and `python app.py --help` documents each flag."""

from __future__ import annotations

import subprocess
import sys

from settings import Settings, settings_from_env
from ui.testing import REPO


def test_every_setting_is_described_and_in_help():
    out = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "--help"], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert out.returncode == 0, out.stderr
    help_text = " ".join(out.stdout.split())
    for name, field in Settings.model_fields.items():
        assert field.description, name
        env = f"TUTOR_{name.upper()}"
        if name == "admin_password":  # a secret: environment only, never a flag in the process list
            assert "--admin-password" not in help_text
        else:
            assert f"--{name.replace('_', '-')}" in help_text and env in help_text, name


def test_admin_credentials_come_from_the_environment_through_settings():
    s = settings_from_env({"TUTOR_ADMIN_USERNAME": "root", "TUTOR_ADMIN_PASSWORD": "rootpass1"})
    assert (s.admin_username, s.admin_password) == ("root", "rootpass1")
