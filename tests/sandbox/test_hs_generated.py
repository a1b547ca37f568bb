"""The HubSpot API inside the core ``Sandbox``, serving a generated world to the real client."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.contacts import PublicObjectSearchRequest

from sandbox import Sandbox
from sandbox.hubspot.table import LIVE
from sandbox.world import HUBSPOT_PROPERTIES


def test_generated_world_pages_and_searches() -> None:
    with Sandbox(size=200, seed=3) as sandbox:
        client = HubSpot(access_token=sandbox.hubspot_token, host=sandbox.url,
                         ssl_ca_cert=str(sandbox.ca_file))
        stored = sandbox.hubspot.store.tables["contacts"]
        ids, after = [], None
        while True:
            page = client.crm.contacts.basic_api.get_page(
                limit=100, after=after, properties=list(HUBSPOT_PROPERTIES["contacts"]))
            ids.extend(record.id for record in page.results)
            if page.paging is None:
                break
            after = page.paging.next.after
        search = client.crm.contacts.search_api.do_search(
            public_object_search_request=PublicObjectSearchRequest(
                filter_groups=[{"filters": [{"propertyName": "lastmodifieddate",
                                             "operator": "GTE", "value": "0"}]}],
                sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
                limit=200))
        server_errors = [entry for entry in sandbox.request_log.entries() if entry.status >= 500]

    assert len(ids) == len(set(ids))
    assert len(ids) == sum(1 for row in range(len(stored)) if stored.state(row) == LIVE)
    assert search.total == len(ids)
    assert server_errors == []
