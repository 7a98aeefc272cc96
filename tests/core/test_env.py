"""The demo's generated secret key is created once, even by processes racing to create it."""

from concurrent.futures import ProcessPoolExecutor

from sinergi.env import local_secret_key


def test_racing_processes_agree_on_one_key(tmp_path):
    """Given no key yet, when eight processes ask at once, they all get the same key,
    and the file is private to its owner."""
    with ProcessPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(local_secret_key, [tmp_path] * 8))
    assert len(keys) == 1
    assert len(keys.pop()) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]
