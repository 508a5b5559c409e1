"""What a simulated workspace starts with: the catalogue every workspace has, and the demo data.

Owns: the runtimes and add-ons (in every workspace, demo or empty) and the demo seed (projects,
one named ``demo``, with jobs and runs in several statuses, a model with a built build and a
deployed deployment, a running application and a collaborator). Made through the workspace's
own create path, so seeded objects look like created ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import Workspace

__all__ = ["seed_catalogue", "seed_demo"]


def seed_catalogue(ws: Workspace) -> None:
    """Runtimes and add-ons exist in every workspace, demo or empty."""
    runtimes = ws.store("runtimes")
    for editor, kernel, edition in (
        ("JupyterLab", "Python 3.10", "Standard"),
        ("JupyterLab", "Python 3.11", "Standard"),
        ("JupyterLab", "Python 3.12", "Standard"),
        ("JupyterLab", "Python 3.11", "Nvidia GPU"),
        ("Workbench", "Python 3.10", "Standard"),
        ("Workbench", "Python 3.11", "Standard"),
        ("Workbench", "Python 3.12", "Standard"),
        ("Workbench", "R 4.3", "Standard"),
        ("Workbench", "R 4.4", "Standard"),
        ("PBJ Workbench", "Python 3.11", "Standard"),
        ("PBJ Workbench", "Python 3.12", "Standard"),
        ("VS Code", "Python 3.11", "Standard"),
        ("Workbench", "Scala 2.12", "Standard"),
        ("JupyterLab", "Python 3.9", "Standard"),
    ):
        slug = f"{editor.lower().replace(' ', '-')}-{kernel.lower().replace(' ', '')}-{edition.lower().replace(' ', '-')}"
        image = f"docker.repository.cloudera.com/cloudera/cdsw/ml-runtime-{slug}:2025.09.1-b5"
        runtimes[image] = {
            "image_identifier": image,
            "editor": editor,
            "kernel": kernel,
            "edition": edition,
            "description": f"{kernel} with {editor}",
            "full_version": "2025.09.1-b5",
            "status": "DEPRECATED" if kernel.endswith("3.9") else "ENABLED",
            "register_user_id": 0,
        }
    addons = ws.store("runtimeaddons")
    for i, (ident, name, comp) in enumerate(
        (
            ("spark341-b2-hadoop3", "Spark 3.4.1 - CDE 1.20 - HOTFIX-2", "Spark"),
            ("spark352-b1-hadoop3", "Spark 3.5.2 - CDE 1.23", "Spark"),
            ("hadoop-cli-7.2.18", "Hadoop CLI - CDP 7.2.18", "HadoopCLI"),
        ),
        start=1,
    ):
        addons[ident] = {
            "identifier": ident,
            "component": comp,
            "display_name": name,
            "status": "AVAILABLE",
            "manageable": True,
            "created_at": ws.clock.iso(),
            "id": i,
            "reason": "",
        }


def seed_demo(ws: Workspace) -> None:
    """A handful of projects (one named demo), jobs with runs in several statuses,
    a model with a built build and a deployed deployment, and a running application."""
    names = [
        ("demo", "Demo project for trying cmldyn"),
        ("churn-analysis", "Customer churn models"),
        ("fraud-detection", "Card fraud scoring"),
        ("nlp-sandbox", "Text experiments"),
        ("forecasting", "Demand forecasting"),
        ("DSE-sandbox", "Data science enablement"),
    ]
    route = ws.index.by_id["CreateProject"]
    ids = {}
    for name, description in names:
        ids[name] = ws.create(route, "projects", (), {"name": name, "description": description, "template": "Python"})["id"]
    ws.clock_jump(3)
    demo = ids["demo"]
    job_route = ws.index.by_id["CreateJob"]
    run_route = ws.index.by_id["CreateJobRun"]
    jobs = [
        ws.create(
            job_route,
            "projects/*/jobs",
            (demo,),
            {"name": n, "script": s, "runtime_identifier": next(iter(ws.store("runtimes")), "")},
        )
        for n, s in (("nightly-train", "train.py"), ("score", "score.py"), ("flaky-report", "fail_report.py"))
    ]
    for job, elapsed in zip(jobs, (10, 2, 10), strict=False):
        run = ws.create(run_route, "projects/*/jobs/*/runs", (demo, job["id"]), {})
        stored = ws.store("projects/*/jobs/*/runs", (demo, job["id"]))[run["id"]]
        ws.run_lifecycle(stored, "fail" in job["script"], start=elapsed)
    model = ws.create(
        ws.index.by_id["CreateModel"],
        "projects/*/models",
        (demo,),
        {"name": "churn-model", "description": "Predicts churn"},
    )
    build_route = ws.index.by_id["CreateModelBuild"]
    build = ws.create(
        build_route,
        "projects/*/models/*/builds",
        (demo, model["id"]),
        {"file_path": "predict.py", "function_name": "predict", "comment": "first build"},
    )
    stored_build = ws.store("projects/*/models/*/builds", (demo, model["id"]))[build["id"]]
    ws.schedule_statuses(stored_build, [(0, "built", "built_at")])
    ws.create(
        ws.index.by_id["CreateModelDeployment"],
        "projects/*/models/*/builds/*/deployments",
        (demo, model["id"], build["id"]),
        {"cpu": 1, "memory": 2},
    )
    for dep in ws.store("projects/*/models/*/builds/*/deployments", (demo, model["id"], build["id"])).values():
        ws.schedule_statuses(dep, [(0, "deployed", "")])
    app = ws.create(
        ws.index.by_id["CreateApplication"],
        "projects/*/applications",
        (demo,),
        {"name": "dashboard", "subdomain": "demo-dashboard", "script": "app.py", "description": "Streamlit dashboard"},
    )
    ws.schedule_statuses(
        ws.store("projects/*/applications", (demo,))[app["id"]], [(0, "APPLICATION_RUNNING", "running_at")]
    )
    ws.store("projects/*/collaborators", (demo,))["alice"] = {
        "user": {"username": "alice", "name": "Alice", "email": "alice@example.com"},
        "permission": "write",
    }
