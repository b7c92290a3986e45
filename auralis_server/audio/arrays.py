"""The array types every DSP module shares: audio is (frames, channels), analysis is 1-D."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Array32 = npt.NDArray[np.float32]
