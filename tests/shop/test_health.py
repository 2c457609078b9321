def test_health_endpoint_pings_the_database(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


def test_health_endpoint_is_get_only(client, db):
    assert client.post("/healthz/").status_code == 405


def test_unknown_page_gets_the_shops_404_page(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"We couldn't find that page" in response.content
