"""The Models page in Chromium against the whole stack: versions registered in the stack's own
registry, their gate side by side, a version's per-site evaluation, confusion matrix and
training curve, promote behind a confirmation, every text of it in English and Nepali, and
nothing of it for a viewer."""

import re

import pytest
from playwright.sync_api import expect

from ailurus_ml.registry import Registry
from tests.browser.conftest import DESKTOP
from tests.unit.gateway.test_i18n_catalogues import PLACEHOLDER, entries
from tests.unit.ml.registry_factories import evaluation, held_out_report, write_model_folder


@pytest.fixture(scope="module")
def registered(stack, tmp_path_factory) -> dict[str, str]:
    """Two versions in the stack's registry (the files are not a servable model: nothing here
    may change what the package's shared Triton serves)."""
    root = stack.config.data_dir / "ml"
    registry = Registry(registry_uri=f"sqlite:///{root / 'mlflow.db'}", artifact_root=root / "artifacts")
    folders = tmp_path_factory.mktemp("models")
    better = write_model_folder(folders / "a", name="ailurus_browser_good", labels=["pbe", "unknown"])
    registry.register(better, name="ailurus_browser_good", dataset_id="stations-0123456789ab", params={"seed": 0},
                      metrics={**evaluation(macro_recall=0.9, red_panda_recall=None, live_macro_recall=0.5),
                               "evaluation": held_out_report()})
    worse = write_model_folder(folders / "b", name="ailurus_browser_worse", labels=["x"])
    registry.register(worse, name="ailurus_browser_worse", dataset_id="other-0123456789ab", params={},
                      metrics=evaluation(macro_recall=0.2, red_panda_recall=None, live_macro_recall=0.5))
    return {"good": "ailurus_browser_good:1", "worse": "ailurus_browser_worse:1"}


def test_models_page_shows_versions_evaluation_and_guards_promote(open_session, registered):
    session = open_session(DESKTOP)
    page = session.sign_in("admin", "#/models")
    page.wait_for_selector("#models-versions")
    assert page.locator("#models-live").inner_text() == "ailurus_classifier"
    assert page.locator("#models-rollback").is_disabled()  # the base model replaced nothing
    good = page.locator(f"tr[data-version='{registered['good']}']")
    worse = page.locator(f"tr[data-version='{registered['worse']}']")
    assert good.locator(".gate").inner_text() == "passes" and worse.locator(".gate").inner_text() == "fails"
    assert "is worse than live 50.0%" in worse.locator(".gate span").get_attribute("title")
    assert "90.0%" in good.inner_text() and "50.0%" in good.inner_text()  # its macro recall beside the live one's

    good.locator("a").click()
    page.wait_for_selector("#models-sites")
    assert page.locator("#models-sites tr[data-site='StationB']").inner_text().split("\t")[-1].strip() == "50.0%"
    assert page.locator("#models-confusion tbody td").first.inner_text() == "3"
    # The training curve is a Chart.js line with one point per epoch.
    session.wait_for_script("!!(window.Chart && Chart.getChart(document.querySelector('#models-curve')))")
    assert page.evaluate("Chart.getChart(document.querySelector('#models-curve')).data.datasets[0].data") == [1.2, 0.7]

    promote = worse.locator("button.promote")
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.dismiss()))
    promote.click()
    assert "fails the gate" in messages[0]
    assert page.locator("#models-status").inner_text() == ""  # dismissed: nothing was sent
    page.once("dialog", lambda dialog: dialog.accept())
    promote.click()
    page.wait_for_selector("#models-status .alert-danger")
    # Forced, the switch itself refuses a folder Triton could not serve, and nothing changes.
    assert page.locator("#models-status").inner_text().startswith("Promote failed: this switch cannot be made")
    assert page.locator("#models-live").inner_text() == "ailurus_classifier"
    session.screenshot("models")
    assert not session.errors and not session.foreign_requests()


def test_viewer_has_no_models_page(open_session, registered):
    session = open_session(DESKTOP)
    page = session.sign_in("viewer", "#/models")
    page.wait_for_selector(".page-models .alert-danger")
    assert page.locator("#nav [data-nav='models']").is_hidden()
    assert page.locator("#models-versions").count() == 0


# What the page's texts are made of, read from every element: its text and the words only a
# screen reader or a pointer sees.
PAGE_TEXTS = """[...document.querySelectorAll('.page-models, .page-models *')].flatMap((el) =>
  [el.children.length ? '' : el.textContent, el.getAttribute('title') || '', el.getAttribute('aria-label') || ''])
  .join('\\n')"""


def english_left(page_texts: str, english: dict[str, str], nepali: dict[str, str]) -> list[str]:
    """English catalogue texts (their parts between placeholders) still on the page."""
    left = []
    for key, text in english.items():
        if text == nepali[key]:
            continue
        for part in PLACEHOLDER.split(text)[::2]:  # split keeps the names at odd positions
            part = part.strip(" :;,.()")
            if re.search(r"[A-Za-z]{3}", part) and part in page_texts:
                left.append(f"{key}: {part!r}")
    return left


def test_models_page_switches_to_nepali_every_text_and_back(open_session, registered):
    english, nepali = entries("en", "models"), entries("ne", "models")
    session = open_session(DESKTOP)
    page = session.sign_in("admin", "#/models")
    page.wait_for_selector("#models-versions")
    good = page.locator(f"tr[data-version='{registered['good']}']")
    good.locator("a").click()
    session.wait_for_script("!!(window.Chart && Chart.getChart(document.querySelector('#models-curve')))")
    assert page.locator(".page-models h1").inner_text() == english["models.title"]

    page.select_option(".page-models [data-testid=language]", "ne")
    expect(page.locator(".page-models h1")).to_have_text(nepali["models.title"])
    expect(page.locator("html")).to_have_attribute("lang", "ne")
    headers = page.locator("#models-versions thead th").all_inner_texts()
    assert headers[:4] == [nepali["models.col.version"], nepali["models.col.dataset"], nepali["models.col.aliases"],
                           nepali["models.metric.macro_recall"]]
    assert good.locator(".gate").inner_text() == nepali["models.gate.passes"]
    assert good.locator("button.promote").inner_text() == nepali["models.promote"]
    assert page.locator("#models-rollback").inner_text() == nepali["models.rollback"]
    assert "90.0%" in good.inner_text()  # the figures stay
    # The open evaluation was redrawn in Nepali, its chart included, without asking again.
    expect(page.locator("#models-sites thead th").first).to_have_text(nepali["models.sites.site"])
    assert page.locator("#models-confusion thead th").first.inner_text() == nepali["models.confusion.corner"]
    assert page.locator("#models-confusion caption").text_content() == nepali["models.confusion.picture"].format(
        version=registered["good"])
    assert page.locator("#models-curve").get_attribute("aria-label") == nepali["models.curve.picture"]
    session.wait_for_script("!!(window.Chart && Chart.getChart(document.querySelector('#models-curve')))")
    axes = page.evaluate("(() => { const s = Chart.getChart(document.querySelector('#models-curve')).options.scales;"
                         " return [s.x.title.text, s.y.title.text]; })()")
    assert axes == [nepali["models.curve.epoch"], nepali["models.curve.loss"]]
    left = english_left(page.evaluate(PAGE_TEXTS), english, nepali)
    assert not left, left
    session.screenshot("models-ne")

    # The confirmation, the switch's progress and its failure speak Nepali too.
    worse = page.locator(f"tr[data-version='{registered['worse']}']")
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    worse.locator("button.promote").click()
    assert messages[0].startswith(nepali["models.promote.confirm_forced"].split("(")[0].format(
        version=registered["worse"]))
    assert "चालू मोडेलको 50.0%" in messages[0]  # the failed check, worded from its figures
    page.wait_for_selector("#models-status .alert-danger")
    failed = page.locator("#models-status").inner_text()
    assert failed.startswith(nepali["models.promote.failed"].split("{")[0])
    # The registered folder is no servable model: the switch refuses it before loading anything.
    assert nepali["models.error.serving_conflict"] in failed and "clients would mislabel" in failed

    page.reload()  # the choice is remembered
    page.wait_for_selector("#models-versions")
    expect(page.locator(".page-models h1")).to_have_text(nepali["models.title"])
    page.select_option(".page-models [data-testid=language]", "en")
    expect(page.locator(".page-models h1")).to_have_text(english["models.title"])
    assert good.locator(".gate").inner_text() == english["models.gate.passes"]
    assert not session.errors, session.errors
