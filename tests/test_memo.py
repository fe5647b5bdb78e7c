from qaportal.memo import Memo


def test_a_memo_forgets_everything_before_it_would_overflow() -> None:
    memo: Memo[str, int] = Memo(2)
    memo.put("a", 1)
    memo.put("b", 2)
    memo.put("b", 3)  # a known key replaces its value, nothing is forgotten
    assert memo == {"a": 1, "b": 3}
    memo.put("c", 4)
    assert memo == {"c": 4}


def test_get_or_make_makes_once() -> None:
    memo: Memo[str, list[int]] = Memo(10)
    made = []

    def make() -> list[int]:
        made.append(1)
        return [len(made)]

    assert memo.get_or_make("k", make) == [1]
    assert memo.get_or_make("k", make) == [1]
    assert made == [1]


def test_make_room_keeps_a_batch_whole() -> None:
    memo: Memo[int, int] = Memo(4)
    for key in range(3):
        memo.put(key, key)
    memo.make_room(2)  # 3 + 2 would not fit: emptied first, so the batch stays together
    assert memo == {}
    memo.update({10: 10, 11: 11})
    memo.make_room(2)
    assert memo == {10: 10, 11: 11}
