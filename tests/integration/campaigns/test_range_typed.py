"""A custom period that doesn't make sense: the dashboard and the campaign page keep the dates
typed and say why (showing the default period meanwhile); the CSV exports refuse it (400)."""

import pytest

BAD = "range=custom&from=2026-03-10&to=2026-03-01"


@pytest.mark.parametrize("page", ["dashboard", "campaign"])
@pytest.mark.parametrize("query, message", [
    (BAD, "The last day must be on or after the first day."),
    ("range=custom&from=2026-03-10&to=", "Choose the last day."),
    ("range=custom&from=2023-01-01&to=2026-03-01", "Choose at most two years."),
])
def test_pages_keep_the_dates_typed(alice_client, tree, page, query, message):
    url = "/dashboard/" if page == "dashboard" else f"/campaigns/{tree[0].pk}/"
    response = alice_client.get(f"{url}?{query}")
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    typed = dict(p.split("=") for p in query.split("&"))
    assert f'id="range-from" value="{typed["from"]}"' in html and f'id="range-to" value="{typed["to"]}"' in html
    assert '<option value="custom" selected>' in html
    assert 'id="range-from" value' in html and 'disabled' not in html.split('id="range-from"')[1].split(">")[0]


@pytest.mark.parametrize("path", ["/campaigns/report.csv", "/campaigns/export.csv"])
def test_exports_refuse_a_bad_period(alice_client, tree, path):
    assert alice_client.get(f"{path}?{BAD}").status_code == 400
