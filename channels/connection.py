"""Who may connect: registered stations, with HTTP Basic auth (security profiles 1 and 2)."""

from __future__ import annotations

import asyncio
import uuid

from channels import config, stations
from channels.passwords import verify_password
from channels.store import Unit, store
from rpc_app import Connection


class StationConnection(Connection):
    async def connect(self):
        station_id = self.env.station_id
        settings = config.settings()
        register = settings.auto_register

        def look_up(u: Unit) -> stations.Credentials | None:
            found = stations.credentials(u.session, station_id)
            if found is None and register:
                u.register(station_id)
                return stations.Credentials(station_id, False, None, registered_now=True)
            return found

        found = await store(settings.database_url).run(look_up)
        if found is None:
            self.logger.warning("unknown station refused")
            self.reject("unknown station")
        if found.registered_now:
            self.logger.info("station registered on first connection")
        elif found.auth_required and not await self._authenticated(found):
            self.logger.warning("station authentication failed")
            self.reject("authentication failed")
        self.identifiers["station_id"] = station_id
        # Names this connection: a late Disconnect of an older one is told apart.
        self.state["connection_id"] = uuid.uuid4().hex

    async def _authenticated(self, station: stations.Credentials) -> bool:
        # Security profile 3: the gateway verified a client certificate issued to this station.
        subject = self.env.client_subject or ""
        if subject.split(",", 1)[0] == f"CN={station.station_id}":
            return True
        credentials = self.env.basic_auth()
        if credentials is None or station.password_hash is None:
            return False
        username, password = credentials
        # The password check runs even for a wrong username: no timing hint either way.
        # scrypt takes tens of milliseconds: off the event loop.
        valid = await asyncio.to_thread(verify_password, password, station.password_hash)
        return valid and username == station.station_id
