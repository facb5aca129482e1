"""A plain install: a checkout where no setup step ran (no compilemessages, no collectstatic),
then ``migrate`` and gunicorn with ``DEBUG=0``, as the README's production section allows.

The checkout is what git would give: every file that is tracked or not ignored, copied from this
tree (so a build product that .gitignore hides, like an uncommitted .mo, is not there). A Japanese
browser then gets the incident page and the after-sign-in page in Japanese, their static files
included, without the server ever having been told to prepare them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest
import requests
from cryptography.fernet import Fernet
from django.conf import settings

from tests.net import free_port
from tests.workers import stop, wait_for

ROOT = Path(settings.BASE_DIR)
JAPANESE = {"Accept-Language": "ja,en;q=0.5"}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STATIC_LINK = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def checkout_copy(target: Path) -> None:
    listed = (
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        # .venv is a link to the shared environment here, never part of a checkout.
        if name.split("/")[0] == ".venv" or not source.is_file():
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)


class Browser:
    """A browser on plain HTTP to loopback: with DEBUG=0 the cookies are Secure, and loopback
    stands in for the TLS proxy here, so they are kept as if the scheme were https."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.session.headers.update(JAPANESE)

    def get(self, url: str) -> requests.Response:
        return self.follow(self.session.get(url, allow_redirects=False, timeout=30))

    def post(self, url: str, data: dict[str, str]) -> requests.Response:
        return self.follow(self.session.post(url, data=data, allow_redirects=False, timeout=30))

    def follow(self, response: requests.Response) -> requests.Response:
        for _ in range(10):
            for cookie in self.session.cookies:
                cookie.secure = False
            if not response.is_redirect:
                return response
            response = self.session.get(response.next.url, allow_redirects=False, timeout=30)
        raise AssertionError(f"too many redirects, at {response.url}")


class PlainInstall:
    def __init__(self, checkout: Path, port: int) -> None:
        self.checkout, self.url = checkout, f"http://127.0.0.1:{port}"
        self.env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(checkout),
            "DEBUG": "0",
            "SECRET_KEY": "plain-install-secret-key-" + "x" * 40,
            "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1",
            "PUBLIC_BASE_URL": self.url,
            # Plain HTTP on loopback: no proxy in front to terminate TLS.
            "SECURE_SSL_REDIRECT": "0",
            "VAR_DIR": str(checkout / "var"),
        }
        self.api_key = ""

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.checkout,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def serve(self, log: Path) -> subprocess.Popen:
        bind = self.url.removeprefix("http://")
        command = [sys.executable, "-m", "gunicorn", "csm_teamviewer.wsgi", "--bind", bind, "--threads", "4"]
        with log.open("wb") as out:
            return subprocess.Popen(  # noqa: S603 - a fixed command line
                command,
                cwd=self.checkout,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/healthz/", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False


@pytest.fixture(scope="module")
def plain_install(tmp_path_factory) -> Iterator[PlainInstall]:
    checkout = tmp_path_factory.mktemp("checkout")
    checkout_copy(checkout)
    install = PlainInstall(checkout, free_port())
    install.manage("migrate", "--noinput", "-v", "0")
    install.api_key = install.manage("create_api_key", "plain install").split()[-1]
    log = checkout / "gunicorn.log"
    server = install.serve(log)
    wait_for(install.answers, what="gunicorn on the plain install", log=log, proc=server)
    yield install
    stop(server)


@pytest.fixture
def browser() -> Browser:
    return Browser()


def japanese(msgid: str) -> str:
    catalogue = polib.mofile(str(ROOT / "locale/ja/LC_MESSAGES/django.mo"))
    return next(entry.msgstr for entry in catalogue if entry.msgid == msgid)


def api(install: PlainInstall, path: str, status: int) -> dict:
    headers = {"Authorization": f"Token {install.api_key}", "X-CSM-User": "agent.sato", **JAPANESE}
    body = {"incident_id": "INC-3001", "send_email": False}
    response = requests.post(f"{install.url}{path}", json=body, headers=headers, timeout=30)
    assert response.status_code == status, response.text
    return response.json()


def test_the_checkout_has_no_collected_static_files_and_ships_its_catalogues(plain_install):
    assert not (plain_install.checkout / "var/static/staticfiles.json").exists()
    assert (plain_install.checkout / "locale/ja/LC_MESSAGES/django.mo").exists()


def test_a_japanese_browser_gets_the_incident_page_in_japanese_with_its_static_files(plain_install, browser):
    page = browser.get(api(plain_install, "/api/v1/launch/", 201)["url"])

    assert page.status_code == 200, page.text[-2000:]
    assert '<html lang="ja">' in page.text
    assert japanese("TeamViewer remote support") in page.text
    static = STATIC_LINK.findall(page.text)
    assert static, "the page links no static file"
    assert {path: browser.get(f"{plain_install.url}{path}").status_code for path in static} == {
        path: 200 for path in static
    }


def test_a_japanese_browser_gets_the_after_sign_in_page_in_japanese(plain_install, browser):
    # A create before the agent ever signed in to TeamViewer: the sign-in, then the create resumed.
    login = browser.get(api(plain_install, "/api/v1/sessions/", 409)["authorize_url"])
    assert login.status_code == 200, login.text[-2000:]
    form = {"email": "sato@example.com", "password": "any", "action": "allow"}
    form["csrfmiddlewaretoken"] = CSRF_INPUT.search(login.text).group(1)

    done = browser.post(login.url, data=form)

    assert done.status_code == 200, done.text[-2000:]
    assert done.url.startswith(f"{plain_install.url}/oauth/teamviewer/callback/")
    assert '<html lang="ja">' in done.text
    assert japanese("Signed in to TeamViewer") in done.text
    resumed = "Return to the Cherwell record you were working on. The action you started goes on by itself."
    assert japanese(resumed) in done.text
