.PHONY: run test worker sweep bench look

# Set up and run Kolony: web (HTTP + WebSocket), an RQ worker, demo data, a sample video ad.
run:
	bash scripts/run.sh

# Set up and run the whole test suite (PostgreSQL, Redis, real Chromium).
test:
	bash scripts/test.sh $(ARGS)

worker:
	.venv/bin/python manage.py rqworker default render publish --with-scheduler

# Outbox + dead-worker sweep every 10 s (every worker also sweeps while idle).
sweep:
	.venv/bin/python manage.py outbox_sweep --loop

# Contact sheets of both example briefs in every style (docs/look/, linked from the README).
look:
	.venv/bin/python -m videogen.engine.look --out docs/look
