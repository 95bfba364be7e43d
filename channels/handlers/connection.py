"""Who may connect: registered stations, with HTTP Basic auth (security profiles 1 and 2)."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import parse_qs, urlsplit

from ocpp_cable.channels import config
from ocpp_cable.channels.domain import password_rotation, security_profiles, stations, viewers
from ocpp_cable.channels.domain.passwords import Match, hash_password, matching
from ocpp_cable.channels.storage.shared_reads import SharedRead
from ocpp_cable.channels.storage.store import Unit, store
from ocpp_cable.contract.state import TOLERATE_KEY
from ocpp_cable.rpc_app import Connection, RequestEnv


def _look_up(u: Unit, station_ids: list[str]) -> dict[str, stations.Credentials]:
    """The stations' credentials; with auto-registration, those we do not know are
    registered (with the batch's writes) and come back as registered now."""
    found = stations.credentials_of(u.session, station_ids)
    if config.settings().auto_register:
        for station_id in station_ids:
            if station_id not in found:
                u.register(station_id)
                found[station_id] = stations.Credentials(station_id, False, None, True)
    return found


async def viewer_of(env: RequestEnv) -> str | None:
    """Whose token a browser's request carries (`?token=` or `Authorization: Bearer`), if
    it is in force: asked at Connect, and again at each of the connection's subscribes."""
    query = parse_qs(urlsplit(env.url).query)
    token = query.get("token", [""])[0] or env.bearer_token()
    if not token:
        return None
    return await store(config.settings().database_url).run(
        lambda u: viewers.viewer_named_by(u.session, token)
    )


# Every Connect of a storm looks up its station: one query for all that wait together.
credentials = SharedRead(_look_up)


class StationConnection(Connection):
    """Admits a person's browser with a viewer token at any path but a station's, and a
    station that is registered (or, with `--auto-register`, registers it)
    and proves who it is: HTTP Basic with its password (security profiles 1 and 2),
    or a client certificate issued to it (profile 3); one added with `--no-auth` needs
    no proof. Anything else is rejected."""

    async def connect(self):
        station_path = (
            urlsplit(self.env.url).path.rsplit("/", 1)[0] == config.settings().path_prefix
        )
        if self.env.browser or not station_path:  # a browser at /cable, never a station
            await self._connect_viewer()
            return
        station_id = self.env.station_id
        found = await credentials.get(store(config.settings().database_url), station_id)
        if found is None:
            self.logger.warning("unknown station refused")
            self.reject("unknown station")
        if found.registered_now:
            self.logger.info("station registered on first connection")
        elif found.auth_required and not await self._authenticated(found):
            self.logger.warning("station authentication failed")
            self.reject("authentication failed")
        await self._check_security_profile(found)
        self.identifiers["station_id"] = station_id
        # Names this connection: a late Disconnect of an older one is told apart.
        self.state["connection_id"] = uuid.uuid4().hex
        if found.tolerate:  # the gateway forgives these violations of this station's
            self.state[TOLERATE_KEY] = list(found.tolerate)

    async def _connect_viewer(self) -> None:
        """A person's browser, with a viewer token (`?token=` or `Authorization: Bearer`)."""
        name = await viewer_of(self.env)
        if name is None:  # rpc_app logs it, once per burst of them
            self.reject("no valid viewer token")
        self.identifiers.update(viewers.identifiers(name))
        self.logger.info("viewer connected", viewer=name)

    def _certified(self, station_id: str) -> bool:
        """Security profile 3: the gateway verified a client certificate issued to it."""
        subject = self.env.client_subject or ""
        return subject.split(",", 1)[0] == f"CN={station_id}"

    async def _check_security_profile(self, station: stations.Credentials) -> None:
        """Refuses a connection below the station's floor; one that completes a move up
        raises the floor (security_profiles.py)."""
        profile = security_profiles.connection_profile(
            tls=urlsplit(self.env.url).scheme == "wss",
            certificate=self._certified(station.station_id),
        )
        problem = security_profiles.refusal(station.security_profile, profile)
        if problem is not None:
            self.logger.warning("station refused below its security profile", reason=problem)
            self.reject(problem)
        floor = security_profiles.raised(
            station.security_profile, station.pending_security_profile, profile
        )
        if floor is not None:
            station_id = station.station_id
            await store(config.settings().database_url).run(
                lambda u: security_profiles.settle(u.session, station_id, floor)
            )
            self.logger.info("station moved to a higher security profile", security_profile=floor)

    async def _authenticated(self, station: stations.Credentials) -> bool:
        if self._certified(station.station_id):
            return True
        credentials = self.env.basic_auth()
        # A rotation's new password is admitted beside the current one (password_rotation).
        stored = [h for h in (station.password_hash, station.pending_password_hash) if h]
        if credentials is None or not stored:
            return False
        username, password = credentials
        # The password check runs even for a wrong username: no timing hint either way.
        # scrypt takes tens of milliseconds: off the event loop.
        found = await asyncio.to_thread(matching, password, stored)
        if found is None or username != station.station_id:
            return False
        pending = station.pending_password_hash
        if pending is not None:
            await self._settle_rotation(station.station_id, password, pending, found, stored)
        return True

    async def _settle_rotation(
        self, station_id: str, password: str, pending: str, found: Match, stored: list[str]
    ) -> None:
        """A station with a rotation under way logged in: its password settles it."""
        database = store(config.settings().database_url)
        if stored[found.index] == pending:
            # Its first login with the new password: the old one retires. Kept as the
            # station presents it (a 1.6 key's digits), its next logins cost one scrypt.
            kept = None if found.as_sent else await asyncio.to_thread(hash_password, password)
            if await database.run(
                lambda u: password_rotation.promote(u.session, station_id, pending, kept)
            ):
                self.logger.info("station logged in with its new password: the old one is retired")
        elif await database.run(
            lambda u: password_rotation.disproved(u.session, station_id, pending)
        ):
            self.logger.info(
                "station logged in with its old password after its rotation ended without "
                "its word: it did not take the new one, and the rotation ends"
            )
