"""The stream hub: who holds which stream, one delivery each, nothing kept after leaving."""

from __future__ import annotations

import asyncio

from ocpp_cable.gateway.hub import StreamHub


class Listener:
    def __init__(self, name: str) -> None:
        self.name = name
        self.got: list[str] = []

    def deliver(self, data: str) -> None:
        self.got.append(data)

    def __repr__(self) -> str:
        return f"Listener({self.name})"


class Leaving(Listener):
    """Unsubscribes itself from the stream while it is being delivered to."""

    def __init__(self, name: str, hub: StreamHub, stream: str) -> None:
        super().__init__(name)
        self.hub, self.stream = hub, stream

    def deliver(self, data: str) -> None:
        super().deliver(data)
        self.hub.unsubscribe(self, [self.stream])


def test_a_broadcast_reaches_each_holder_of_its_stream_once():
    """Every listener on the stream gets it once; listeners on other streams do not."""
    hub, a, b, c = StreamHub(), Listener("a"), Listener("b"), Listener("c")
    hub.subscribe(a, ["s"])
    hub.subscribe(b, ["s"])
    hub.subscribe(c, ["t"])
    assert hub.broadcast("s", "x") == 2
    assert (a.got, b.got, c.got) == (["x"], ["x"], [])


def test_a_listener_on_two_streams_gets_each_streams_broadcast_once():
    """Subscribing twice to a stream, or to two streams, never doubles a delivery."""
    hub, a = StreamHub(), Listener("a")
    hub.subscribe(a, ["s", "t"])
    hub.subscribe(a, ["s"])
    assert hub.broadcast("s", "1") == 1
    assert hub.broadcast("t", "2") == 1
    assert a.got == ["1", "2"]


def test_a_broadcast_to_a_stream_nobody_holds_returns_0():
    """No holder: nothing delivered, 0 returned, and no entry made for the stream."""
    hub, a = StreamHub(), Listener("a")
    hub.subscribe(a, ["s"])
    assert hub.broadcast("nobody", "x") == 0
    assert StreamHub().broadcast("s", "x") == 0
    assert a.got == []
    assert set(hub._streams) == {"s"}


def test_unsubscribing_the_last_listener_removes_the_stream():
    """A stream nobody holds any more is forgotten: the hub does not grow with old streams."""
    hub, a, b = StreamHub(), Listener("a"), Listener("b")
    hub.subscribe(a, ["s", "t"])
    hub.subscribe(b, ["s"])
    hub.unsubscribe(a, ["s"])
    assert hub.broadcast("s", "1") == 1
    assert (a.got, b.got) == ([], ["1"])
    hub.unsubscribe(b, ["s"])
    assert hub._streams == {"t": {a}}
    assert hub.broadcast("s", "2") == 0
    assert b.got == ["1"]


def test_remove_forgets_the_listener_everywhere_and_leaves_nothing_behind():
    """After remove, neither private dict holds the listener; after the last, both are empty."""
    hub, a, b = StreamHub(), Listener("a"), Listener("b")
    hub.subscribe(a, ["s", "t"])
    hub.subscribe(b, ["t"])
    hub.remove(a)
    assert hub._streams == {"t": {b}}
    assert hub._by_subscriber == {b: {"t"}}
    assert hub.broadcast("s", "x") == 0
    assert hub.broadcast("t", "y") == 1
    assert (a.got, b.got) == ([], ["y"])
    hub.remove(b)
    assert hub._streams == {}
    assert hub._by_subscriber == {}


def test_many_clients_coming_and_going_leave_the_hub_empty():
    """Memory follows the clients connected now, not all that ever came."""
    hub = StreamHub()
    for n in range(200):
        listener = Listener(str(n))
        hub.subscribe(listener, [f"station:{n}", "all"])
        hub.unsubscribe(listener, [f"station:{n}"])
        hub.remove(listener)
    assert hub._streams == {}
    assert hub._by_subscriber == {}


def test_removing_or_unsubscribing_an_unknown_listener_is_harmless():
    """Unknown listener, or a stream not held: no error, no entry made, others untouched."""
    hub, a, stranger = StreamHub(), Listener("a"), Listener("stranger")
    hub.subscribe(a, ["s"])
    hub.remove(stranger)
    hub.unsubscribe(stranger, ["s", "t"])
    hub.unsubscribe(a, ["t"])
    hub.remove(stranger)
    assert hub._streams == {"s": {a}}
    assert hub._by_subscriber == {a: {"s"}}
    assert hub.broadcast("s", "x") == 1
    assert a.got == ["x"]


def test_a_listener_unsubscribing_itself_inside_deliver_does_not_break_the_broadcast():
    """The broadcast goes over a copy: every holder at its start gets it, once."""
    hub = StreamHub()
    leaving, staying = Leaving("leaving", hub, "s"), Listener("staying")
    hub.subscribe(leaving, ["s"])
    hub.subscribe(staying, ["s"])
    hub.broadcast("s", "1")
    assert (leaving.got, staying.got) == (["1"], ["1"])
    assert hub.broadcast("s", "2") == 1
    assert (leaving.got, staying.got) == (["1"], ["1", "2"])

    alone_hub = StreamHub()
    alone = Leaving("alone", alone_hub, "s")
    alone_hub.subscribe(alone, ["s"])
    alone_hub.broadcast("s", "x")
    assert alone.got == ["x"]
    assert alone_hub._streams == {}


def test_broadcast_counts_a_listener_that_left_while_receiving():
    """`broadcast` returns how many got the data, also when one of them left while
    receiving it (Broadcasts counts a 0 as a dropped broadcast)."""
    hub = StreamHub()
    hub.subscribe(Leaving("leaving", hub, "s"), ["s"])
    hub.subscribe(Listener("staying"), ["s"])
    assert hub.broadcast("s", "1") == 2

    alone_hub = StreamHub()
    alone_hub.subscribe(Leaving("alone", alone_hub, "s"), ["s"])
    assert alone_hub.broadcast("s", "x") == 1


def test_follow_applies_a_commands_streams_in_anycables_order():
    """Stop them all, stop some, then start new ones: a Command that does all three ends
    with exactly the new streams."""
    hub, a = StreamHub(), Listener("a")
    hub.subscribe(a, ["old", "kept"])
    hub.follow(a, stop_all=False, stopped=["old"], started=["new"])
    assert (hub.broadcast("old", "x"), hub.broadcast("kept", "x"), hub.broadcast("new", "x")) == (
        0,
        1,
        1,
    )
    hub.follow(a, stop_all=True, stopped=[], started=["fresh"])
    assert (hub.broadcast("kept", "x"), hub.broadcast("fresh", "x")) == (0, 1)


async def test_a_fan_out_larger_than_a_slice_lets_the_loop_run_between_slices():
    """Thousands of holders are delivered to a slice at a time: other work (a charger's
    call) runs between slices instead of waiting for the whole fan-out."""
    hub = StreamHub(slice_size=10)
    listeners = [Listener(str(n)) for n in range(35)]
    for listener in listeners:
        hub.subscribe(listener, ["s"])
    assert hub.broadcast("s", "x") == 35
    got_before_other_work = sum(len(listener.got) for listener in listeners)
    await asyncio.sleep(0)
    assert got_before_other_work <= 10
    await hub.delivered()
    assert all(listener.got == ["x"] for listener in listeners)


async def test_broadcasts_keep_their_order_for_every_holder_while_a_fan_out_is_sliced():
    """A small broadcast after a sliced one waits its turn: no holder gets them swapped."""
    hub = StreamHub(slice_size=4)
    many = [Listener(str(n)) for n in range(9)]
    for listener in many:
        hub.subscribe(listener, ["s", "t"])
    hub.broadcast("s", "1")
    hub.broadcast("s", "2")
    few = Listener("few")
    hub.subscribe(few, ["u"])
    hub.subscribe(many[0], ["u"])
    hub.broadcast("u", "3")  # two holders: would fit one slice, but comes after the others
    await hub.delivered()
    assert all(listener.got[:2] == ["1", "2"] for listener in many)
    assert many[0].got == ["1", "2", "3"] and few.got == ["3"]


async def test_a_listener_that_leaves_during_a_sliced_fan_out_gets_nothing_more():
    """Whoever unsubscribed before its slice came is skipped, not delivered to a dead
    connection."""
    hub = StreamHub(slice_size=2)
    listeners = [Listener(str(n)) for n in range(6)]
    for listener in listeners:
        hub.subscribe(listener, ["s"])
    hub.broadcast("s", "x")
    hub.remove(listeners[5])
    await hub.delivered()
    assert [len(listener.got) for listener in listeners] == [1, 1, 1, 1, 1, 0]


async def test_close_ends_a_fan_out_under_way():
    hub = StreamHub(slice_size=1)
    listeners = [Listener(str(n)) for n in range(5)]
    for listener in listeners:
        hub.subscribe(listener, ["s"])
    hub.broadcast("s", "x")
    await hub.close()
    await asyncio.sleep(0)
    assert sum(len(listener.got) for listener in listeners) < 5


class Broken(Listener):
    def deliver(self, data: str) -> None:
        raise RuntimeError("broken listener")


async def test_a_listener_that_fails_does_not_keep_the_broadcast_from_the_others():
    """One listener's failure is logged and is its own: the rest of its slice, the
    slices after it and the next broadcasts still arrive."""
    for slice_size in (3, 100):  # sliced, and at once
        hub = StreamHub(slice_size=slice_size)
        listeners = [Listener(str(n)) for n in range(4)] + [Broken("broken")]
        listeners += [Listener(str(n)) for n in range(4, 8)]
        for listener in listeners:
            hub.subscribe(listener, ["s"])
        hub.broadcast("s", "1")
        hub.broadcast("s", "2")
        await hub.delivered()
        assert all(one.got == ["1", "2"] for one in listeners if not isinstance(one, Broken))


async def test_broadcasts_coming_faster_than_fan_outs_wait_in_a_bounded_backlog():
    """Past `backlog` broadcasts waiting, the hub delivers all of them at once, holding
    the loop as one synchronous fan-out would, so a flood of broadcasts cannot grow its
    memory without bound; every holder still gets each once, in order."""
    hub = StreamHub(slice_size=2, backlog=3)
    listeners = [Listener(str(n)) for n in range(5)]
    for listener in listeners:
        hub.subscribe(listener, ["s"])
    hub.broadcast("s", "1")
    await asyncio.sleep(0)  # the first slice of "1" is out
    for data in "23":
        hub.broadcast("s", data)
    assert len(hub._backlog) == 3  # "1" under way, "2" and "3" waiting
    hub.broadcast("s", "4")
    assert not hub._backlog
    assert all(listener.got == list("1234") for listener in listeners)
    await hub.delivered()
    hub.broadcast("s", "5")
    await hub.delivered()
    assert all(listener.got == list("12345") for listener in listeners)
