from playwright.sync_api import expect


def test_the_home_page_opens_in_a_real_browser(page, live_server, db):
    page.goto(live_server.url)
    expect(page).to_have_title("Northwind Goods")
