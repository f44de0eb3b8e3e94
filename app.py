"""Composition root: create the Chalice app and register the Blueprints. Nothing else, but
refusing to start without an explicit stage."""

from chalice.app import Chalice

from functions import logs
from functions.api.admin import admin
from functions.api.audit import audit
from functions.api.deadline import request_deadline
from functions.api.department import department
from functions.api.desk import desk
from functions.api.docs import docs
from functions.api.follows import follows
from functions.api.http import BINARY_TYPES
from functions.api.knowledge import knowledge
from functions.api.mine import mine
from functions.api.open311 import open311
from functions.api.public import public
from functions.api.reviews import reviews
from functions.api.staff import staff
from functions.jobs.inbound_mail import inbound_mail
from functions.jobs.schedules import jobs
from functions.jobs.ses_events import ses_events
from functions.jobs.uploads import uploads
from functions.settings import settings

if not settings().stage:
    # Fail closed: without an explicit stage nothing would say which tables, mail settings or
    # routes are meant; .chalice/config.json sets it for every stage, make run for local.
    raise RuntimeError("WZ_STAGE is not set: refusing to start (set local, dev or prod)")

app = Chalice(app_name="wenzheng")
app.api.binary_types.extend(BINARY_TYPES)  # the 通报's .docx (functions/api/public.py)
# Chalice's app logger is every "wenzheng.*" logger's parent: JSON lines from INFO up, each
# with the request's keys (request id, route, case id).
logs.configure(app.log)
app.register_middleware(logs.request_context, "http")
# Every HTTP request's storage calls end before its deadline, well inside API Gateway's 29 s.
app.register_middleware(request_deadline, "http")
app.register_blueprint(public)
app.register_blueprint(follows)
app.register_blueprint(mine)
app.register_blueprint(department)
app.register_blueprint(desk)
app.register_blueprint(knowledge)
app.register_blueprint(staff)
app.register_blueprint(reviews)
app.register_blueprint(admin)
app.register_blueprint(audit)
app.register_blueprint(open311)
app.register_blueprint(docs)
app.register_blueprint(jobs)
app.register_blueprint(ses_events)
app.register_blueprint(uploads)
app.register_blueprint(inbound_mail)

if settings().is_local:
    from functions.api.dev import dev

    app.register_blueprint(dev)
