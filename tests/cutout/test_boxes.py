"""Which boxes of one mosaic are read together."""

from __future__ import annotations

from service.cutout.boxes import cost, read_together
from service.rangeread.fitsmeta import CompressedImage, PlainImage


def image(tile: tuple[int, int], shape=(3000, 20000)) -> CompressedImage:
    ny, nx = shape
    n = -(-ny // tile[0]) * -(-nx // tile[1])
    return CompressedImage(0, 2880, 5760, 8, n, 5760 + 8 * n, shape, tile, ())


ROWS = image((1, 20000))  # fpack's default: one tile a row


def test_boxes_whose_rows_overlap_are_one_read_of_row_tiles():
    boxes = [(1000, 1240, 500, 740), (9000, 9240, 600, 840), (3000, 3240, 2000, 2240)]
    reads = read_together(boxes, ROWS, 10**9)
    assert reads == [((1000, 9240, 500, 840), [0, 1]), ((3000, 3240, 2000, 2240), [2])]
    assert cost(ROWS, reads[0][0]) == 340 * 20000 < cost(ROWS, boxes[0]) + cost(ROWS, boxes[1])


def test_boxes_that_only_touch_or_would_decode_more_are_read_apart():
    touching = [(0, 100, 0, 100), (0, 100, 100, 200)]
    assert [m for _, m in read_together(touching, ROWS, 10**9)] == [[0], [1]]
    tiles = image((200, 200))  # 2-D tiles: a column gap would be decoded for nothing
    far = [(0, 150, 0, 150), (5000, 5150, 50, 200)]
    assert [m for _, m in read_together(far, tiles, 10**9)] == [[0], [1]]
    near = [(0, 150, 0, 150), (100, 250, 50, 200)]  # the same tiles, mostly
    assert [m for _, m in read_together(near, tiles, 10**9)] == [[0, 1]]
    plain = PlainImage(0, 2880, 2880, (3000, 20000), 2)  # bytes of the box only
    assert [m for _, m in read_together(far, plain, 10**9)] == [[0], [1]]


def test_a_joined_read_stays_within_the_source_limit_and_needs_the_layout():
    boxes = [(1000, 1240, 500, 740), (9000, 9240, 600, 840)]
    assert [m for _, m in read_together(boxes, ROWS, 8240 * 340 - 1)] == [[0], [1]]
    assert [m for _, m in read_together(boxes, ROWS, 8240 * 340)] == [[0, 1]]
    assert [m for _, m in read_together(boxes, None, 10**9)] == [[0], [1]]


def test_three_boxes_chain_in_order_of_their_first_rows():
    boxes = [(0, 10, 200, 300), (0, 10, 0, 120), (0, 10, 100, 220), (0, 10, 1000, 1010)]
    assert read_together(boxes, ROWS, 10**9) == [
        ((0, 10, 0, 300), [1, 2, 0]),
        ((0, 10, 1000, 1010), [3]),
    ]
