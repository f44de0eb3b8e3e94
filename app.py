"""Composition root: create the Chalice app and register the Blueprints. Nothing else."""

from chalice.app import Chalice

from functions.api.department import department
from functions.api.public import public
from functions.api.staff import staff
from functions.jobs.outbox import jobs as outbox_jobs
from functions.jobs.rating import jobs as rating_jobs
from functions.jobs.sla import jobs as sla_jobs
from functions.settings import settings

app = Chalice(app_name="wenzheng")
app.register_blueprint(public)
app.register_blueprint(department)
app.register_blueprint(staff)
app.register_blueprint(outbox_jobs)
app.register_blueprint(rating_jobs)
app.register_blueprint(sla_jobs)

if settings().is_local:
    from functions.api.dev import dev

    app.register_blueprint(dev)
