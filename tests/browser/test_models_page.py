"""The Models page in Chromium against the whole stack: versions registered in the stack's own
registry, their gate side by side, a version's per-site evaluation, confusion matrix and
training curve, promote behind a confirmation, and nothing of it for a viewer."""

import pytest

from ailurus_ml.registry import Registry
from tests.browser.conftest import DESKTOP
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
    assert "Promote failed" in page.locator("#models-status").inner_text()
    assert page.locator("#models-live").inner_text() == "ailurus_classifier"
    session.screenshot("models")
    assert not session.errors and not session.foreign_requests()


def test_viewer_has_no_models_page(open_session, registered):
    session = open_session(DESKTOP)
    page = session.sign_in("viewer", "#/models")
    page.wait_for_selector(".page-models .alert-danger")
    assert page.locator("#nav [data-nav='models']").is_hidden()
    assert page.locator("#models-versions").count() == 0
