"""The RPC slots' book (pure: who holds a slot, who waits, who is next) and its asyncio
waits: handshakes have a share of their own, connected stations' calls keep the rest,
Connects past the queue's bound are refused."""

from __future__ import annotations

import asyncio

import pytest

from ocpp_cable.gateway.rpc.slots import (
    Abandoned,
    Kind,
    QueueFull,
    SlotBook,
    Slots,
    handshake_slots,
)

CALL, SUBSCRIBE, CONNECT = Kind.CALL, Kind.SUBSCRIBE, Kind.CONNECT


def book(capacity: int = 4, handshakes: int = 2, queue: int = 100) -> SlotBook:
    return SlotBook(capacity, handshakes, queue)


# --- the share -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("capacity", "share", "slots"),
    [(128, 0.5, 64), (2, 0.5, 1), (3, 0.5, 2), (10, 0.01, 1), (10, 1.0, 9), (1, 0.5, 1)],
)
def test_handshakes_get_their_share_and_leave_calls_at_least_one(capacity, share, slots):
    assert handshake_slots(capacity, share) == slots


# --- the book --------------------------------------------------------------------------


def test_handshakes_hold_no_more_than_their_share():
    b = book(capacity=4, handshakes=2)
    assert b.take(CONNECT) and b.take(CONNECT)
    assert not b.take(CONNECT)
    assert not b.take(SUBSCRIBE)
    assert b.in_flight == 2


def test_calls_keep_theirs_while_handshakes_queue():
    b = book(capacity=4, handshakes=2)
    for _ in range(2):
        assert b.take(CONNECT)
    for waiter in "abc":
        b.enqueue(CONNECT, waiter)
    assert b.take(CALL) and b.take(CALL)
    assert b.in_flight == 4


def test_calls_borrow_idle_handshake_slots_and_give_them_back_first():
    b = book(capacity=4, handshakes=2)
    for _ in range(4):
        assert b.take(CALL)
    assert not b.take(CALL)
    b.enqueue(CALL, "call")
    b.enqueue(CONNECT, "connect")
    # The handshakes are below their share: the slot a call frees is theirs.
    assert b.release(CALL) == (CONNECT, "connect")
    assert b.release(CALL) == (CALL, "call")


def test_a_waiting_subscribe_goes_before_a_waiting_connect():
    b = book(capacity=4, handshakes=1)
    assert b.take(CONNECT)
    b.enqueue(CONNECT, "c1")
    b.enqueue(SUBSCRIBE, "s1")
    b.enqueue(CONNECT, "c2")
    assert b.release(CONNECT) == (SUBSCRIBE, "s1")
    assert b.release(SUBSCRIBE) == (CONNECT, "c1")
    assert b.release(CONNECT) == (CONNECT, "c2")
    assert b.release(CONNECT) is None
    assert b.in_flight == 0


def test_a_freed_handshake_slot_goes_to_a_call_when_no_handshake_waits():
    b = book(capacity=2, handshakes=1)
    assert b.take(CONNECT) and b.take(CALL)
    b.enqueue(CALL, "call")
    assert b.release(CONNECT) == (CALL, "call")


def test_a_handshake_at_its_share_leaves_the_freed_slot_to_calls():
    b = book(capacity=3, handshakes=1)
    assert b.take(CONNECT) and b.take(CALL) and b.take(CALL)
    b.enqueue(CONNECT, "connect")
    b.enqueue(CALL, "call")
    assert b.release(CALL) == (CALL, "call")


def test_connects_past_the_bound_are_refused_subscribes_never():
    b = book(capacity=2, handshakes=1, queue=2)
    assert b.take(CONNECT)
    b.enqueue(CONNECT, "c1")
    b.enqueue(CONNECT, "c2")
    with pytest.raises(QueueFull):
        b.enqueue(CONNECT, "c3")
    for waiter in range(5):  # admitted stations finish, however many
        b.enqueue(SUBSCRIBE, waiter)
    assert b.waiting(CONNECT) == 2
    assert b.waiting(SUBSCRIBE) == 5


def test_a_withdrawn_waiter_leaves_its_place():
    b = book(capacity=1, handshakes=1, queue=1)
    assert b.take(CONNECT)
    b.enqueue(CONNECT, "gone")
    b.withdraw(CONNECT, "gone")
    assert b.waiting(CONNECT) == 0
    b.enqueue(CONNECT, "next")  # the bound counts only who still waits
    assert b.release(CONNECT) == (CONNECT, "next")


def test_waiters_are_served_first_come():
    b = book(capacity=1, handshakes=1)
    assert b.take(CALL)
    for waiter in range(5):
        b.enqueue(CALL, waiter)
    assert [b.release(CALL)[1] for _ in range(5)] == [0, 1, 2, 3, 4]


# --- the asyncio waits -----------------------------------------------------------------


async def test_a_waiting_connect_gets_the_slot_a_handshake_frees():
    slots = Slots(book(capacity=2, handshakes=1))
    assert slots.take(CONNECT)
    loop = asyncio.get_running_loop()
    waiter = asyncio.create_task(slots.wait(CONNECT, loop.time() + 5))
    await asyncio.sleep(0)
    assert slots.book.waiting(CONNECT) == 1
    slots.release(CONNECT)
    await waiter
    assert slots.book.in_flight == 1 and slots.book.waiting(CONNECT) == 0


async def test_a_wait_past_its_deadline_raises_and_leaves_the_queue():
    slots = Slots(book(capacity=1, handshakes=1))
    assert slots.take(CONNECT)
    loop = asyncio.get_running_loop()
    with pytest.raises(TimeoutError):
        await slots.wait(CONNECT, loop.time() + 0.05)
    assert slots.book.waiting(CONNECT) == 0
    slots.release(CONNECT)
    assert slots.book.in_flight == 0


async def test_a_client_gone_while_queued_leaves_the_queue_at_once():
    slots = Slots(book(capacity=1, handshakes=1))
    assert slots.take(CONNECT)
    loop = asyncio.get_running_loop()
    gone = loop.create_future()
    waiter = asyncio.create_task(slots.wait(CONNECT, loop.time() + 5, gone))
    await asyncio.sleep(0)
    gone.set_result(None)
    with pytest.raises(Abandoned):
        await waiter
    assert slots.book.waiting(CONNECT) == 0
    slots.release(CONNECT)
    assert slots.book.in_flight == 0


async def test_a_slot_granted_as_the_waiter_gives_up_is_given_back():
    """Granted and cancelled in the same turn of the loop: the slot is not lost."""
    slots = Slots(book(capacity=1, handshakes=1))
    assert slots.take(CALL)
    loop = asyncio.get_running_loop()
    waiter = asyncio.create_task(slots.wait(CALL, loop.time() + 5))
    await asyncio.sleep(0)
    slots.release(CALL)  # granted: the waiter's future is done, the task not yet resumed
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert slots.book.in_flight == 0
    assert slots.take(CALL)


async def test_a_full_queue_refuses_at_once():
    slots = Slots(book(capacity=1, handshakes=1, queue=0))
    assert slots.take(CONNECT)
    loop = asyncio.get_running_loop()
    with pytest.raises(QueueFull):
        await slots.wait(CONNECT, loop.time() + 5)
