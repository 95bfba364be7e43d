"""What people use to run the network: the CLI's commands (`admin/`), the HTTP API
(`api/`, FastAPI), the dashboard and public station pages (`dashboard/`), the live
views browsers subscribe to at /cable (`live.py`), and rows as people see them
(`records.py`). They reach stations only by broadcasts, as `ocpp-cable send` does."""
