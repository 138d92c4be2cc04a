"""The single-window simulator never gives a customs number twice, across restarts too."""

import pytest

from integrations.single_window.simulator import NumberBlocks, SingleWindowSimulator


def test_numbers_go_on_after_a_restart_past_the_block_in_hand(tmp_path):
    path = tmp_path / "single-window" / ".customs-numbers"
    first = NumberBlocks(path, block=3)
    assert [next(first) for _ in range(4)] == [1, 2, 3, 4]
    # The end of the block being handed out is written before its first number is.
    assert path.read_text() == "7"

    again = NumberBlocks(path, block=3)
    assert [next(again) for _ in range(2)] == [7, 8]
    assert path.read_text() == "10"
    assert [file.name for file in path.parent.iterdir()] == [".customs-numbers"]


def test_a_simulator_started_again_on_its_folders_gives_new_numbers(tmp_path):
    root = tmp_path / "single-window"
    first = SingleWindowSimulator(root)
    given = [next(first.office.numbers) for _ in range(5)]
    second = SingleWindowSimulator(root)
    assert (given, next(second.office.numbers)) == ([1, 2, 3, 4, 5], 1001)
    # The file is not an enterprise's folder.
    assert second.step() == 0


def test_a_damaged_number_file_stops_the_simulator_rather_than_give_numbers_again(tmp_path):
    path = tmp_path / ".customs-numbers"
    path.write_text("12x")
    with pytest.raises(ValueError):
        NumberBlocks(path)
