"""Where the central system keeps its data: the tables (`models.py`), their migrations
(`migrations/`), engines and sessions (`db.py`), the unit of work with group commit
(`store.py`), bulk inserts (`bulk.py`) and reads shared across callers
(`shared_reads.py`)."""
