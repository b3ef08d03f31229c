"""The Swagger UI of the local stack (/docs) in Chromium: "Try it out" -> "Execute" reaches the API.

It used to call /v1/... (API Gateway's stage path, which only the execute-api host has) and get 404 here.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.local_stack import LocalStack


def test_try_it_out_on_health_gets_200_from_the_local_stack(browser_context: Any, console_stack: LocalStack) -> None:
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        # Given the Swagger UI of the local stack, its server is the stack's own root
        page.goto(f"{console_stack.api_url}/docs")
        expect(page.locator(".servers select option").first).to_have_text("/")
        block = page.locator("#operations-Health-health")
        block.locator(".opblock-summary").first.click()

        # When "Try it out" -> "Execute" on GET /health (no API key)
        block.get_by_role("button", name="Try it out").click()
        with page.expect_response(lambda response: "/health" in response.url) as answer:
            block.get_by_role("button", name="Execute").click()

        # Then the request went to /health itself and the UI shows its 200
        assert answer.value.url == f"{console_stack.api_url}/health"
        assert answer.value.status == 200
        expect(block.locator(".live-responses-table tr.response .response-col_status").first).to_have_text("200")
    finally:
        page.close()
    assert errors == []
