"""A browser application the cable tests serve: a token in the URL names the user,
and a chat channel streams its room."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from ocpp_cable.rpc_app import Channel, Connection

USERS = {"t-ada": "ada", "t-bob": "bob"}


class BrowserConnection(Connection):
    def connect(self):
        token = parse_qs(urlsplit(self.env.url).query).get("token", [""])[0]
        if token not in USERS:
            self.reject("unknown token")
        self.identifiers["user"] = USERS[token]


class ChatChannel(Channel):
    def subscribed(self):
        room = self.params.get("room")
        if room == "secret":
            self.reject()
        self.state["room"] = room
        self.stream_from(f"chat:{room}")

    def speak(self, data):
        self.transmit({"echo": data.get("text"), "user": self.connection.identifiers["user"]})

    def leave_room(self, data):
        self.stop_all_streams()
