"""Who may connect: registered stations, with HTTP Basic auth (security profiles 1 and 2)."""

from __future__ import annotations

import uuid

from channels import config
from channels.db import session_scope
from channels.models import ChargePoint
from channels.passwords import verify_password
from channels.stations import add_station
from rpc_app import Connection


class StationConnection(Connection):
    def connect(self):
        station_id = self.env.station_id
        settings = config.settings()
        with session_scope(settings.database_url) as session:
            station = session.get(ChargePoint, station_id)
            if station is None:
                if not settings.auto_register:
                    self.logger.warning("unknown station refused")
                    self.reject("unknown station")
                add_station(session, station_id)
                self.logger.info("station registered on first connection")
            elif station.auth_required and not self._authenticated(station):
                self.logger.warning("station authentication failed")
                self.reject("authentication failed")
        self.identifiers["station_id"] = station_id
        # Names this connection: a late Disconnect of an older one is told apart.
        self.state["connection_id"] = uuid.uuid4().hex

    def _authenticated(self, station: ChargePoint) -> bool:
        # Security profile 3: the gateway verified a client certificate issued to this station.
        subject = self.env.client_subject or ""
        if subject.split(",", 1)[0] == f"CN={station.id}":
            return True
        credentials = self.env.basic_auth()
        if credentials is None or station.password_hash is None:
            return False
        username, password = credentials
        # The password check runs even for a wrong username: no timing hint either way.
        valid = verify_password(password, station.password_hash)
        return valid and username == station.id
