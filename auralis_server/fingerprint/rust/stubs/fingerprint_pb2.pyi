from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AudioHeader(_message.Message):
    __slots__ = ("track_id", "sample_rate_hz", "channels")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_HZ_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    track_id: int
    sample_rate_hz: int
    channels: int
    def __init__(self, track_id: _Optional[int] = ..., sample_rate_hz: _Optional[int] = ..., channels: _Optional[int] = ...) -> None: ...

class AudioBlock(_message.Message):
    __slots__ = ("header", "pcm_f32le")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    PCM_F32LE_FIELD_NUMBER: _ClassVar[int]
    header: AudioHeader
    pcm_f32le: bytes
    def __init__(self, header: _Optional[_Union[AudioHeader, _Mapping]] = ..., pcm_f32le: _Optional[bytes] = ...) -> None: ...

class FileRequest(_message.Message):
    __slots__ = ("track_id", "path")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    track_id: int
    path: str
    def __init__(self, track_id: _Optional[int] = ..., path: _Optional[str] = ...) -> None: ...

class Fingerprint(_message.Message):
    __slots__ = ("track_id", "algorithm_version", "compute_seconds", "sub_bass_pct", "bass_pct", "low_mid_pct", "mid_pct", "upper_mid_pct", "presence_pct", "air_pct", "lufs", "crest_db", "bass_mid_ratio", "tempo_bpm", "rhythm_stability", "transient_density", "silence_ratio", "spectral_centroid", "spectral_rolloff", "spectral_flatness", "harmonic_ratio", "pitch_stability", "chroma_energy", "dynamic_range_variation", "loudness_variation_std", "peak_consistency", "stereo_width", "phase_correlation")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_VERSION_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SUB_BASS_PCT_FIELD_NUMBER: _ClassVar[int]
    BASS_PCT_FIELD_NUMBER: _ClassVar[int]
    LOW_MID_PCT_FIELD_NUMBER: _ClassVar[int]
    MID_PCT_FIELD_NUMBER: _ClassVar[int]
    UPPER_MID_PCT_FIELD_NUMBER: _ClassVar[int]
    PRESENCE_PCT_FIELD_NUMBER: _ClassVar[int]
    AIR_PCT_FIELD_NUMBER: _ClassVar[int]
    LUFS_FIELD_NUMBER: _ClassVar[int]
    CREST_DB_FIELD_NUMBER: _ClassVar[int]
    BASS_MID_RATIO_FIELD_NUMBER: _ClassVar[int]
    TEMPO_BPM_FIELD_NUMBER: _ClassVar[int]
    RHYTHM_STABILITY_FIELD_NUMBER: _ClassVar[int]
    TRANSIENT_DENSITY_FIELD_NUMBER: _ClassVar[int]
    SILENCE_RATIO_FIELD_NUMBER: _ClassVar[int]
    SPECTRAL_CENTROID_FIELD_NUMBER: _ClassVar[int]
    SPECTRAL_ROLLOFF_FIELD_NUMBER: _ClassVar[int]
    SPECTRAL_FLATNESS_FIELD_NUMBER: _ClassVar[int]
    HARMONIC_RATIO_FIELD_NUMBER: _ClassVar[int]
    PITCH_STABILITY_FIELD_NUMBER: _ClassVar[int]
    CHROMA_ENERGY_FIELD_NUMBER: _ClassVar[int]
    DYNAMIC_RANGE_VARIATION_FIELD_NUMBER: _ClassVar[int]
    LOUDNESS_VARIATION_STD_FIELD_NUMBER: _ClassVar[int]
    PEAK_CONSISTENCY_FIELD_NUMBER: _ClassVar[int]
    STEREO_WIDTH_FIELD_NUMBER: _ClassVar[int]
    PHASE_CORRELATION_FIELD_NUMBER: _ClassVar[int]
    track_id: int
    algorithm_version: int
    compute_seconds: float
    sub_bass_pct: float
    bass_pct: float
    low_mid_pct: float
    mid_pct: float
    upper_mid_pct: float
    presence_pct: float
    air_pct: float
    lufs: float
    crest_db: float
    bass_mid_ratio: float
    tempo_bpm: float
    rhythm_stability: float
    transient_density: float
    silence_ratio: float
    spectral_centroid: float
    spectral_rolloff: float
    spectral_flatness: float
    harmonic_ratio: float
    pitch_stability: float
    chroma_energy: float
    dynamic_range_variation: float
    loudness_variation_std: float
    peak_consistency: float
    stereo_width: float
    phase_correlation: float
    def __init__(self, track_id: _Optional[int] = ..., algorithm_version: _Optional[int] = ..., compute_seconds: _Optional[float] = ..., sub_bass_pct: _Optional[float] = ..., bass_pct: _Optional[float] = ..., low_mid_pct: _Optional[float] = ..., mid_pct: _Optional[float] = ..., upper_mid_pct: _Optional[float] = ..., presence_pct: _Optional[float] = ..., air_pct: _Optional[float] = ..., lufs: _Optional[float] = ..., crest_db: _Optional[float] = ..., bass_mid_ratio: _Optional[float] = ..., tempo_bpm: _Optional[float] = ..., rhythm_stability: _Optional[float] = ..., transient_density: _Optional[float] = ..., silence_ratio: _Optional[float] = ..., spectral_centroid: _Optional[float] = ..., spectral_rolloff: _Optional[float] = ..., spectral_flatness: _Optional[float] = ..., harmonic_ratio: _Optional[float] = ..., pitch_stability: _Optional[float] = ..., chroma_energy: _Optional[float] = ..., dynamic_range_variation: _Optional[float] = ..., loudness_variation_std: _Optional[float] = ..., peak_consistency: _Optional[float] = ..., stereo_width: _Optional[float] = ..., phase_correlation: _Optional[float] = ...) -> None: ...

class InfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class InfoReply(_message.Message):
    __slots__ = ("crate_version", "algorithm_version")
    CRATE_VERSION_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_VERSION_FIELD_NUMBER: _ClassVar[int]
    crate_version: str
    algorithm_version: int
    def __init__(self, crate_version: _Optional[str] = ..., algorithm_version: _Optional[int] = ...) -> None: ...
