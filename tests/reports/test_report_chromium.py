"""The email HTML as a browser draws it: headless Chromium renders it to a non-blank PNG."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

from reports.email import ReportFiles

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(),
                    reason="Debian's chromium is not installed (.ci/run installs it)")
def test_email_html_renders_in_chromium(golden_files: ReportFiles, tmp_path: Path) -> None:
    # A mail client resolves cid: URLs from the message's parts; a browser reads files.
    html = golden_files.html.decode("utf-8")
    for chart in golden_files.charts:
        (tmp_path / f"{chart.name}.png").write_bytes(chart.png)
        html = html.replace(f"cid:{chart.content_id}", f"{chart.name}.png")
    page = tmp_path / "email.html"
    page.write_text(html, encoding="utf-8")
    screenshot = tmp_path / "email.png"

    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--window-size=720,2400", f"--screenshot={screenshot}", page.as_uri()],
        check=True, capture_output=True, timeout=60)

    image = Image.open(screenshot).convert("L")
    histogram = image.histogram()
    dark = sum(histogram[:100])
    assert image.size == (720, 2400)
    assert dark > 0.01 * image.width * image.height, "the page is blank or nearly blank"
    assert histogram[255] < image.width * image.height, "the page is all white"
