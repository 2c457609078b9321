"""The Findings section names the reads the embedded engine serves by scanning, and only those."""

from bench.findings import findings_lines
from bench.scenarios import CATALOG_PAGE, PRODUCT_PAGE


def results_with(reads):
    return {
        "sizes": {5000: {"inspection": {CATALOG_PAGE: {"reads": reads}, PRODUCT_PAGE: {"reads": []}}}},
        "engine_checks": {"in_seconds": {"250": 0.1, "1000": 1.5}, "insert_ms": {"0": 2.0, "5000": 30.0}},
    }


def read(collection, equality):
    return {"command": "aggregate", "collection": collection, "shape": {"equality": equality, "sort": []}}


def test_a_short_in_list_of_ids_is_no_finding_but_one_on_another_field_is():
    lines = findings_lines(
        results_with(
            [
                read("django_cache", {"_id": ["catalog-generation", "page:1"], "expires_at": None}),
                read("catalog_price", {"product_id": ["a", "b"]}),
            ]
        )
    )

    scans = [line for line in lines if "reads the whole collection" in line]
    assert len(scans) == 1
    assert "catalog_price" in scans[0]
