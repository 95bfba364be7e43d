"""Handshake rules without I/O: the station id from the path alone, what Connect is told,
the status a refused Connect gets, and the subprotocols a client offered."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
from websockets.datastructures import Headers

from ocpp_cable.gateway.admission import offered_subprotocols, refusal_status
from ocpp_cable.gateway.rpc import Status
from ocpp_cable.ocppj.handshake import HandshakeRefused, read_request, station_id_from_path

PREFIX = "/ocpp"


def refused(path: str, prefix: str = PREFIX) -> int:
    with pytest.raises(HandshakeRefused) as refusal:
        station_id_from_path(path, prefix)
    assert refusal.value.reason
    return refusal.value.status


# --- station_id_from_path -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "prefix", "station_id"),
    [
        ("/ocpp/CP-1", "/ocpp", "CP-1"),
        ("/CP-1", "", "CP-1"),
        ("/a/b/CP-1", "/a/b", "CP-1"),
        ("/ocpp/CP%201", "/ocpp", "CP 1"),
        ("/ocpp/%43%50-1", "/ocpp", "CP-1"),
        ("/ocpp/%C3%A9t%C3%A9", "/ocpp", "été"),
        ("/ocpp/CP+1", "/ocpp", "CP+1"),  # a path is not a form: `+` stays `+`
        ("/ocpp/CP-1?token=x&next=/a/b", "/ocpp", "CP-1"),
        ("/ocpp/CP-1?", "/ocpp", "CP-1"),
        ("/ocpp/CP-1?a:b", "/ocpp", "CP-1"),
    ],
)
def test_the_station_id_is_the_percent_decoded_last_segment(path, prefix, station_id):
    """Prefix (also ""), percent-decoding, the query string ignored."""
    assert station_id_from_path(path, prefix) == station_id


def test_a_station_id_has_1_to_48_characters():
    """48 characters pass (counted decoded, not as bytes); 49, or none, are refused with 400."""
    assert station_id_from_path("/ocpp/" + "A" * 48, PREFIX) == "A" * 48
    assert station_id_from_path("/ocpp/" + quote("é" * 48), PREFIX) == "é" * 48
    assert refused("/ocpp/" + "A" * 49) == 400
    assert refused("/ocpp/" + quote("é" * 49)) == 400
    assert refused("/ocpp/") == 400
    assert refused("/ocpp/?x=1") == 400
    assert refused("/", "") == 400


@pytest.mark.parametrize(
    ("path", "prefix"),
    [
        ("/ocpp/a/b", PREFIX),
        ("/ocpp/CP-1/", PREFIX),
        ("/ocpp//CP-1", PREFIX),
        ("/a/CP-1", ""),
        ("/other/CP-1", PREFIX),
        ("/ocppx/CP-1", PREFIX),
        ("/ocpp", PREFIX),
        ("/OCPP/CP-1", PREFIX),
    ],
)
def test_a_path_that_is_not_a_stations_is_404(path, prefix):
    """Another prefix, or a `/` inside what would be the id: not a station's path."""
    assert refused(path, prefix) == 404


@pytest.mark.parametrize(
    "raw_id",
    [
        "a:b",
        "a%3Ab",
        "a%3ab",
        "a%2Fb",
        "a%00b",
        "a%01b",
        "a%09b",
        "a%0Ab",
        "a%0Db",
        "a%1Fb",
        "a%7Fb",
    ],
)
def test_colon_slash_and_control_characters_in_the_id_are_400(raw_id):
    """`:`, an encoded `/`, C0 controls and DEL, written plainly or percent-encoded: 400."""
    assert refused(f"/ocpp/{raw_id}") == 400


@pytest.mark.parametrize("raw_id", ["%FF", "%C3", "%C3%28", "a%E2%82", "%ED%A0%80"])
def test_an_id_that_is_not_utf8_is_400(raw_id):
    """Percent-encoded bytes that are not UTF-8 (truncated, invalid, a surrogate): 400."""
    assert refused(f"/ocpp/{raw_id}") == 400


@pytest.mark.parametrize(
    "path",
    ["ocpp/CP-1", "CP-1", "", "*", "ws://host/ocpp/CP-1", "/ocpp/CP-1#x", "/ocpp/CP-1?a#b"],
)
def test_a_target_that_is_not_a_path_is_400(path):
    """No leading `/` (absolute form, asterisk, nothing) or a fragment: 400."""
    assert refused(path) == 400


@pytest.mark.parametrize("path", ["/ocpp/CP\t-1", "/ocpp/CP\r-1", "/oc\tpp/CP-1"])
def test_a_raw_control_character_in_the_path_is_refused(path):
    """websockets hands the request target over unvalidated (a tab or a lone CR can be in
    it). The station id comes from the path as written: a control character in it is a
    400, never silently dropped to make another station's id."""
    assert refused(path) == 400


def test_a_path_starting_with_two_slashes_is_not_a_stations():
    """`//evil/ocpp/CP-1` is not `<prefix>/<station_id>`: refused, not read as CP-1."""
    assert refused("//evil/ocpp/CP-1") in (400, 404)
    assert refused("//ocpp/CP-1", "") in (400, 404)


# --- read_request --------------------------------------------------------------------


def request(path="/ocpp/CP-1", headers=(("Host", "cs.example:9000"),), passed=(), **kw):
    options = {"prefix": PREFIX, "scheme": "ws", "default_host": "default.example:80"}
    options.update(kw)
    return read_request(path, list(headers), passed=passed, **options)


def test_the_url_is_built_from_the_host_header_and_the_request_path():
    station = request("/ocpp/CP%201?x=1", [("Host", "cs.example:9000")], scheme="wss")
    assert station.station_id == "CP 1"
    assert station.url == "wss://cs.example:9000/ocpp/CP%201?x=1"
    assert station.headers == {}


def test_without_a_host_header_the_default_host_is_used():
    station = request(headers=[("Authorization", "Basic eA==")])
    assert station.url == "ws://default.example:80/ocpp/CP-1"
    assert request(headers=[], passed=["host"]).headers == {}


@pytest.mark.parametrize(
    "host",
    [
        "cs.example",
        "cs.example:9000",
        "10.0.0.1:80",
        "[::1]:9000",
        "[fe80::1]",
        "xn--bcher-kva.example",
    ],
)
def test_the_url_path_is_always_the_request_path(host):
    """Whatever Host says, the URL Connect gets has the request's own path."""
    path = "/ocpp/CP-1?q=/x"
    station = request(path, [("Host", host)])
    assert urlsplit(station.url).path == "/ocpp/CP-1"
    assert station.url == f"ws://{host}{path}"


@pytest.mark.parametrize(
    "host",
    [
        "user@cs.example",
        "user:pw@cs.example",
        "cs.example/other",
        "cs.example/ocpp/CP-2",
        "cs.example?x",
        "cs.example#x",
        "cs.example:port",
        "cs.example:123456",
        "cs example",
        "",
        "[::1",
        "cs.example\\x",
    ],
)
def test_a_host_that_is_not_an_authority_is_400(host):
    """Userinfo, path, query or fragment characters in Host could move the URL's path: 400."""
    with pytest.raises(HandshakeRefused) as refusal:
        request(headers=[("Host", host)])
    assert refusal.value.status == 400


def test_a_bad_default_host_is_refused_too():
    with pytest.raises(HandshakeRefused) as refusal:
        request(headers=[], default_host="a@b")
    assert refusal.value.status == 400


@pytest.mark.parametrize(
    "headers",
    [
        [("Host", "a"), ("Host", "a")],
        [("Host", "a"), ("host", "b")],
        [("Host", "a"), ("Authorization", "Basic eA=="), ("authorization", "Basic eQ==")],
    ],
)
def test_host_or_authorization_sent_twice_is_400(headers):
    """Which credentials or which Host would Connect see? Neither: 400."""
    with pytest.raises(HandshakeRefused) as refusal:
        request(headers=headers, passed=["authorization"])
    assert refusal.value.status == 400


def test_only_the_passed_headers_reach_connect_by_lowercase_name():
    headers = [
        ("Host", "cs.example"),
        ("AUTHORIZATION", "Basic eA=="),
        ("X-Forwarded-For", "1.2.3.4"),
        ("Cookie", "a=1"),
        ("User-Agent", "charger/1"),
    ]
    station = request(headers=headers, passed=["authorization", "user-agent"])
    assert station.headers == {"authorization": "Basic eA==", "user-agent": "charger/1"}


def test_host_is_passed_only_when_listed():
    assert request(passed=["host"]).headers == {"host": "cs.example:9000"}
    assert request(passed=[]).headers == {}


def test_repeated_list_valued_headers_are_joined():
    """RFC 9110 5.3: repeated headers combine in order, with ", "."""
    headers = [
        ("Host", "cs.example"),
        ("Sec-WebSocket-Protocol", "ocpp1.6"),
        ("X-Extra", "1"),
        ("sec-websocket-protocol", "ocpp2.0.1, ocpp2.0"),
    ]
    station = request(headers=headers, passed=["sec-websocket-protocol"])
    assert station.headers == {"sec-websocket-protocol": "ocpp1.6, ocpp2.0.1, ocpp2.0"}


def test_read_request_applies_the_path_rules():
    for path, status in [("/ocpp/a/b", 404), ("/ocpp/", 400), ("/ocpp/a#b", 400)]:
        with pytest.raises(HandshakeRefused) as refusal:
            request(path)
        assert refusal.value.status == status


def test_read_request_refuses_a_path_starting_with_two_slashes():
    """Its URL would have another path than the one the id was read from."""
    with pytest.raises(HandshakeRefused) as refusal:
        request("//evil/ocpp/CP-1")
    assert refusal.value.status == 400


# --- admission: refusal status and subprotocols --------------------------------------


@pytest.mark.parametrize(("status", "http"), [(Status.FAILURE, 401), (Status.ERROR, 500)])
def test_refusal_status(status, http):
    """Refused: 401, with credentials or without (which station ids exist is nobody's
    business); the application failed: 500."""
    assert refusal_status(status) == http


@pytest.mark.parametrize(
    ("values", "offered"),
    [
        ([], []),
        (["ocpp1.6"], ["ocpp1.6"]),
        (["ocpp2.0.1, ocpp1.6"], ["ocpp2.0.1", "ocpp1.6"]),
        (["ocpp2.0.1,ocpp1.6,"], ["ocpp2.0.1", "ocpp1.6"]),
        (["ocpp2.0.1", "ocpp1.6, ocpp1.5"], ["ocpp2.0.1", "ocpp1.6", "ocpp1.5"]),
    ],
)
def test_offered_subprotocols_reads_every_header_and_comma_list(values, offered):
    headers = Headers([("Host", "cs.example")])
    for n, value in enumerate(values):
        headers["Sec-WebSocket-Protocol" if n % 2 == 0 else "sec-websocket-protocol"] = value
    assert offered_subprotocols(headers) == offered
