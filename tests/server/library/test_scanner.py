from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from mutagen.flac import FLAC

from auralis_server.library.models import Fingerprint, Track, close_database, open_database
from auralis_server.library.scanner import Scanner, ScanProgress
from tests.conftest import write_audio
from tests.server.library.bad_files import BAD_FILES, write_bad_files


def _tag(path: Path, **tags: str) -> None:
    audio = FLAC(path)
    audio.update(tags)
    audio.save()


def test_first_scan_reads_tags_and_stream_info(db: Path, tmp_path: Path) -> None:
    music = tmp_path / "music"
    write_audio(music / "a" / "one.flac", 2.5, 48000, subtype="PCM_24")
    _tag(
        music / "a" / "one.flac",
        title="One",
        artist="Ann",
        album="First",
        tracknumber="3/9",
        discnumber="2",
        date="2019-04-01",
        genre="Jazz",
        albumartist="Various",
    )
    write_audio(music / "two.wav", 1.0, 22050, channels=1)
    (music / "cover.jpg").write_bytes(b"\xff\xd8")
    progress = Scanner([music]).run()
    assert (progress.state, progress.discovered, progress.added, progress.errors) == (
        "finished",
        2,
        2,
        0,
    )
    one = Track.get(Track.path == str(music / "a" / "one.flac"))
    assert (one.title, one.artist, one.album, one.album_artist) == (
        "One",
        "Ann",
        "First",
        "Various",
    )
    assert (one.track_no, one.disc_no, one.year, one.genre) == (3, 2, 2019, "Jazz")
    assert (one.sample_rate, one.channels, one.total_frames, one.codec) == (
        48000,
        2,
        120000,
        "flac",
    )
    assert one.duration == pytest.approx(2.5)
    assert one.fingerprint_status == "pending" and one.scan_error is None
    two = Track.get(Track.path == str(music / "two.wav"))
    assert (two.title, two.channels, two.codec, two.total_frames) == ("two", 1, "wav/pcm_16", 22050)


def test_rescan_is_incremental_and_tracks_changes_and_removals(db: Path, tmp_path: Path) -> None:
    music = tmp_path / "music"
    for name in ("a", "b", "c"):
        write_audio(music / f"{name}.flac", 1.0)
    Scanner([music]).run()
    ids = {t.path: t.id for t in Track.select()}
    b = Track.get(Track.path == str(music / "b.flac"))
    Track.update(fingerprint_status="complete").execute()
    Fingerprint.create(
        track=b, vector=b"\0" * 100, algorithm_version=1, source="python", sha256="0" * 64
    )

    unchanged = Scanner([music]).run()
    assert (unchanged.unchanged, unchanged.added, unchanged.updated, unchanged.removed) == (
        3,
        0,
        0,
        0,
    )

    write_audio(music / "b.flac", 2.0, seed=5)
    os.utime(music / "b.flac", ns=(1, 1_000_000_000))
    (music / "c.flac").unlink()
    write_audio(music / "d.flac", 1.0)
    changed = Scanner([music]).run()
    assert (changed.unchanged, changed.added, changed.updated, changed.removed) == (1, 1, 1, 1)
    b = Track.get(Track.path == str(music / "b.flac"))
    assert b.id == ids[str(music / "b.flac")]  # same row, so playlists keep pointing at it
    assert b.fingerprint_status == "pending" and b.total_frames == 88200
    assert Fingerprint.select().count() == 0  # the stale fingerprint went with the change
    assert Track.get(Track.path == str(music / "a.flac")).fingerprint_status == "complete"
    assert not Track.select().where(Track.path == str(music / "c.flac")).exists()


def test_missing_music_folder_keeps_its_tracks(db: Path, tmp_path: Path) -> None:
    music = tmp_path / "nas"
    write_audio(music / "a.flac", 1.0)
    Scanner([music]).run()
    shutil.rmtree(music)  # the share is not mounted today
    progress = Scanner([music]).run()
    assert progress.state == "finished" and progress.removed == 0
    assert "not a readable directory" in progress.root_errors[0]
    assert Track.select().count() == 1


def test_progress_is_reported_until_finished(db: Path, tmp_path: Path) -> None:
    music = tmp_path / "music"
    for index in range(5):
        write_audio(music / f"{index}.wav", 0.2)
    seen: list[ScanProgress] = []
    Scanner([music], on_progress=lambda p: seen.append(ScanProgress(**p.as_dict()))).run()
    assert seen[0].state == "running" and seen[-1].state == "finished"
    assert seen[-1].processed == seen[-1].discovered == 5


def test_bad_files_are_recorded_with_their_error_and_the_scan_finishes(
    db: Path, tmp_path: Path
) -> None:
    music = tmp_path / "music"
    write_bad_files(music)
    write_audio(music / "good.flac", 1.0)
    if os.geteuid() == 0:  # root reads mode-000 files; check that one as an ordinary user below
        os.chmod(music / "locked.flac", 0o644)
    progress = Scanner([music]).run()
    assert progress.state == "finished" and progress.discovered == 6
    errors = {Path(t.path).name: t.scan_error for t in Track.select() if t.scan_error}
    assert Track.get(Track.path == str(music / "good.flac")).scan_error is None
    for name, expected in BAD_FILES.items():
        if name == "locked.flac" and os.geteuid() == 0:
            continue
        assert expected in errors[name], (name, errors.get(name))
        track = Track.get(Track.path == str(music / name))
        assert track.fingerprint_status == "error" and expected in track.fingerprint_error


@pytest.mark.skipif(os.geteuid() != 0, reason="covered by the test above when not root")
def test_permission_denied_when_root_lacks_dac_override(tmp_path: Path) -> None:
    """Root reads mode-000 files; without CAP_DAC_OVERRIDE it is refused like any user."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    music = tmp_path / "music"
    write_bad_files(music)
    write_audio(music / "good.flac", 1.0)
    result = subprocess.run(
        [
            setpriv,
            "--bounding-set=-dac_override,-dac_read_search",
            "--",
            sys.executable,
            "-m",
            "auralis_server.cli",
            "scan",
            "--music",
            str(music),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 0, result.stderr
    assert "6 files" in result.stdout and "5 unreadable" in result.stdout
    open_database(None, tmp_path / "data" / "auralis.db")
    try:
        locked = Track.get(Track.path == str(music / "locked.flac"))
        assert locked.scan_error == "permission denied"
        assert locked.fingerprint_status == "error"
    finally:
        close_database()


def test_a_fifo_named_like_audio_is_passed_over_not_waited_on(db: Path, tmp_path: Path) -> None:
    """Opening a FIFO blocks until a writer comes; the scan must not hang on one."""
    music = tmp_path / "music"
    write_audio(music / "real.wav", 1.0, 22050)
    os.mkfifo(music / "pipe.wav")
    outcome: list[ScanProgress] = []
    scan = threading.Thread(target=lambda: outcome.append(Scanner([music]).run()), daemon=True)
    scan.start()
    scan.join(60)
    assert outcome, "the scan hung on the FIFO"
    assert (outcome[0].state, outcome[0].added) == ("finished", 1)
    assert [track.path for track in Track.select()] == [str(music / "real.wav")]
