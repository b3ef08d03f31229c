"""Import ETIM on the local stack: the demo task imports from the stack's fake ETIM API, and the model reads
back through the API."""

from __future__ import annotations

from tests.e2e.local_stack import LocalStack
from tests.e2e.test_platform import eventually


def test_the_demo_import_etim_task_loads_the_model_and_the_api_reads_it(local_stack: LocalStack) -> None:
    # Given the seeded demo Import ETIM task (pointed at the stack's fake ETIM API)
    tasks = local_stack.get("/environments/000001/tasks").body["items"]
    task = next(t for t in tasks if t["type"] == "import_etim")
    assert task["settings"]["api_url"].rstrip("/") == local_stack.state["etim_api_url"]

    # When it is started by hand
    started = local_stack.post(f"/environments/000001/tasks/{task['task_id']}/start")
    assert started.status == 202
    run_path = f"/environments/000001/runs/{started.body['run_id']}"
    ended = eventually(lambda: (r := local_stack.get(run_path).body)["status"] not in ("queued", "running") and r,
                       seconds=90, what="the ETIM run to end")

    # Then it succeeded, and the classes, one class in full and the releases read back
    assert ended["status"] == "succeeded", ended
    assert any(m["text"].startswith("Classes: ") for m in ended["messages"])
    classes = local_stack.get("/environments/000001/etim/classes?language=nl-NL")
    assert classes.status == 200 and classes.body["release"] == "ETIM-9.0" and classes.body["items"]
    code = classes.body["items"][0]["code"]
    detail = local_stack.get(f"/environments/000001/etim/classes/{code}")
    assert detail.status == 200 and detail.body["features"], detail.body
    releases = local_stack.get("/environments/000001/etim/releases").body["items"]
    assert [r["release"] for r in releases] == ["ETIM-9.0"]
