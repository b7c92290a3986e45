from __future__ import annotations

import threading

import numpy as np

from auralis_tui.engine.ring_buffer import RingBuffer


def test_frames_come_out_in_order_across_the_wrap() -> None:
    ring = RingBuffer(10, 2)
    source = np.arange(60, dtype=np.float32).reshape(30, 2)
    out = np.zeros((4, 2), dtype=np.float32)
    taken, position = [], 0
    while position < len(source) or ring.available_frames:
        position += ring.write(source[position : position + 7])
        got = ring.read_into(out)
        taken.append(out[:got].copy())
    np.testing.assert_array_equal(np.concatenate(taken), source)


def test_short_reads_are_silence_and_count_underruns_until_the_end() -> None:
    ring = RingBuffer(8, 1)
    ring.write(np.ones((3, 1), dtype=np.float32))
    out = np.full((5, 1), 9.0, dtype=np.float32)
    assert ring.read_into(out) == 3
    np.testing.assert_array_equal(out[:, 0], [1, 1, 1, 0, 0])
    assert ring.underruns == 1
    ring.end_of_stream = True
    ring.read_into(out)
    assert ring.underruns == 1  # running dry after the last frame is not an underrun


def test_clear_is_applied_by_the_consumer() -> None:
    ring = RingBuffer(16, 1)
    ring.write(np.arange(10, dtype=np.float32)[:, None])
    ring.clear()
    assert ring.available_frames == 0 and ring.read_position == 10
    ring.write(np.full((2, 1), 5.0, dtype=np.float32))
    out = np.zeros((4, 1), dtype=np.float32)
    assert ring.read_into(out) == 2 and out[0, 0] == 5.0


def test_a_producer_and_a_consumer_thread_lose_nothing() -> None:
    ring = RingBuffer(1000, 1)
    source = np.arange(200_000, dtype=np.float32)[:, None]
    received: list[np.ndarray] = []

    def consume() -> None:
        out = np.zeros((256, 1), dtype=np.float32)
        total = 0
        while total < len(source):
            got = ring.read_into(out)
            received.append(out[:got].copy())
            total += got

    consumer = threading.Thread(target=consume)
    consumer.start()
    position = 0
    while position < len(source):
        position += ring.write(source[position : position + 300])
    ring.end_of_stream = True
    consumer.join(30)
    np.testing.assert_array_equal(np.concatenate(received), source)


def test_pause_plays_silence_keeps_the_place_and_is_no_underrun() -> None:
    ring = RingBuffer(16, 1)
    ring.write(np.arange(1, 9, dtype=np.float32)[:, None])
    out = np.full((3, 1), 9.0, dtype=np.float32)
    ring.paused = True
    assert ring.read_into(out) == 0
    np.testing.assert_array_equal(out[:, 0], [0, 0, 0])
    assert ring.underruns == 0 and ring.available_frames == 8
    ring.paused = False
    ring.read_into(out)
    np.testing.assert_array_equal(out[:, 0], [1, 2, 3])


def test_a_clear_while_paused_frees_the_ring_for_the_new_position() -> None:
    """Found by hand: `n` or a seek while paused left the buffer at 0.0 chunks until resume
    (the full ring's old audio was only dropped by a read that played)."""
    ring = RingBuffer(16, 1)
    ring.write(np.arange(16, dtype=np.float32)[:, None])
    ring.paused = True
    ring.clear()
    out = np.full((4, 1), 9.0, dtype=np.float32)
    assert ring.read_into(out) == 0  # paused: silence, the device keeps calling
    np.testing.assert_array_equal(out[:, 0], [0, 0, 0, 0])
    assert ring.free_frames == 16
    assert ring.write(np.full((16, 1), 7.0, dtype=np.float32)) == 16  # the new position, whole
    assert ring.underruns == 0
    ring.paused = False
    ring.read_into(out)
    np.testing.assert_array_equal(out[:, 0], [7, 7, 7, 7])


def test_volume_scales_what_is_read_and_not_what_is_stored() -> None:
    ring = RingBuffer(16, 2)
    source = np.full((4, 2), 0.5, dtype=np.float32)
    ring.write(source)
    ring.volume = 0.25
    out = np.zeros((2, 2), dtype=np.float32)
    ring.read_into(out)
    np.testing.assert_allclose(out, 0.125)
    ring.volume = 1.0
    ring.read_into(out)
    np.testing.assert_array_equal(out, source[:2])


def test_the_device_callback_counts_late_callbacks_the_ring_cannot_see() -> None:
    """PortAudio flags an output underflow when the callback itself ran late; the ring had
    data, so only the flag tells: it must reach the underrun count the bar shows."""
    from types import SimpleNamespace

    from auralis_tui.engine.outputs import device_callback

    ring = RingBuffer(4096, 2)
    ring.write(np.ones((4096, 2), dtype=np.float32))
    callback = device_callback(ring)
    out = np.zeros((1024, 2), dtype=np.float32)
    callback(out, 1024, None, SimpleNamespace(output_underflow=False))
    callback(out, 1024, None, SimpleNamespace(output_underflow=True))
    assert (ring.underruns, ring.device_underruns) == (0, 1)
